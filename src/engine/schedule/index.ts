export * from './coordinator';
export * from './errors';
export * from './job-runner';
export * from './manifest';
export * from './stages';
