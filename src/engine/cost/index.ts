export { type Bill, type BillLine, monthlyBill, type Option, type Workload } from './bill';
export { COORDINATOR_MEMORY_MB } from './deployment';
export { type Footprint, FootprintSampler, LAMBDA_MB_PER_VCPU, lambdaVcpus } from './footprint';
export { HOURS_PER_MONTH, PRICES, SECONDS_PER_MONTH } from './prices';
