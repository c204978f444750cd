/** The D-Streams paper's Grep over pre-generated 100-byte records (bench/paper/workloads.ts). */
import { paperJob } from '../paper/workloads';

export default paperJob('grep');
