export { type Bill, type BillLine, monthlyBill, type Option, type Workload } from './bill';
export { HOURS_PER_MONTH, PRICES, SECONDS_PER_MONTH } from './prices';
