export * from './config';
export * from './coordinator-run';
export * from './embedded';
export * from './errors';
export * from './job-loader';
export * from './lambda';
export * from './until-stopped';
