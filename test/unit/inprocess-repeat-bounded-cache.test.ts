/** detectLeak on bounded-cache, 20 times in a row (test/inprocess/repeat.ts). */
import { describeRepeated } from '../inprocess/repeat';

describeRepeated('bounded-cache');
