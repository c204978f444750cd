export * from './embedded';
export * from './errors';
export * from './job-loader';
