/**
 * Annotations on the allocating lines: the report's findings that name a file and line inside the
 * workspace become annotations (errors for a leak, warnings when inconclusive), nine at most so
 * that with the failure line they stay within GitHub's ten per step. Pure.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Finding, Report, ReportVerdict } from '../report/report';
import { findingRate, topFindings } from '../report/view-findings';

/**
 * GitHub shows at most 10 error annotations per step and drops the rest without a word; the failure
 * message itself is the tenth.
 */
export const MAX_ANNOTATIONS = 9;

/** One annotation, in the toolkit's terms. */
export interface Annotation {
  level: 'error' | 'warning';
  title: string;
  message: string;
  /** Workspace-relative path, forward slashes. */
  file: string;
  startLine: number;
  startColumn?: number;
}

/** Annotations and what could not be placed. */
export interface AnnotationPlan {
  annotations: Annotation[];
  /** Findings with a location that is not a line in the workspace (counted, not dropped silently). */
  outside: number;
  /** Findings without any file and line. */
  unlocated: number;
}

function toWorkspacePath(file: string, workspace: string): string | null {
  let p = file;
  if (p.startsWith('file://')) {
    try {
      p = fileURLToPath(p);
    } catch {
      return null;
    }
  }
  const abs = path.resolve(workspace, p);
  const rel = path.relative(workspace, abs);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return null;
  if (rel.split(path.sep).includes('node_modules')) return null;
  return rel.split(path.sep).join('/');
}

/**
 * Plans the annotations for a report.
 *
 * @param report - the report whose findings to place (the head run's in a comparison)
 * @param verdict - the verdict that decides the level (the comparison's, in compare mode)
 * @param workspace - the repository's folder (GITHUB_WORKSPACE)
 * @returns the annotations, at most {@link MAX_ANNOTATIONS}
 */
export function planAnnotations(report: Report, verdict: ReportVerdict, workspace: string): AnnotationPlan {
  const plan: AnnotationPlan = { annotations: [], outside: 0, unlocated: 0 };
  if (verdict !== 'leak' && verdict !== 'inconclusive') return plan;
  const level = verdict === 'leak' ? 'error' : 'warning';
  const all = topFindings(report, Number.MAX_SAFE_INTEGER);
  for (const f of all) {
    const located = typeof f.file === 'string' && f.file !== '' && typeof f.line === 'number' && f.line >= 1;
    if (!located) {
      plan.unlocated++;
      continue;
    }
    const file = toWorkspacePath(f.file as string, workspace);
    if (file === null) {
      plan.outside++;
      continue;
    }
    if (plan.annotations.length >= MAX_ANNOTATIONS) continue;
    plan.annotations.push({
      level,
      title: verdict === 'leak' ? 'leakcheck: memory kept per request' : 'leakcheck: possible leak',
      message: messageOf(f),
      file,
      startLine: f.line as number,
      startColumn: typeof f.column === 'number' && f.column >= 1 ? f.column : undefined,
    });
  }
  return plan;
}

function messageOf(f: Finding): string {
  const rate = findingRate(f);
  const parts = [f.title];
  if (rate && !f.title.includes(rate)) parts.push(rate);
  if (typeof f.retainerPath === 'string') parts.push(`kept alive by ${f.retainerPath}`);
  return parts.join(' — ');
}
