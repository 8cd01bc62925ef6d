/** detectLeak on clean-auth, 20 times in a row (test/inprocess/repeat.ts). */
import { describeRepeated } from '../inprocess/repeat';

describeRepeated('clean-auth');
