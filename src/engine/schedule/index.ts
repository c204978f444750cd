export * from './coordinator';
export * from './errors';
export * from './job-runner';
export * from './job-state';
export * from './lease';
export * from './manifest';
export * from './speculation';
export * from './stages';
