/**
 * The page's files: the dashboard's own (next to this module) and uPlot's browser build from
 * node_modules, read once and served from memory. Only these names are served, so no request path ever
 * reaches the file system.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface StaticFile {
  contentType: string;
  body: Buffer;
}

const STATIC_DIR = join(__dirname, 'static');

function uplotDist(): string {
  return join(dirname(require.resolve('uplot/package.json')), 'dist');
}

const SOURCES: Record<string, { path: () => string; contentType: string }> = {
  '/': { path: () => join(STATIC_DIR, 'index.html'), contentType: 'text/html; charset=utf-8' },
  '/dashboard.js': {
    path: () => join(STATIC_DIR, 'dashboard.js'),
    contentType: 'text/javascript; charset=utf-8',
  },
  '/charts.js': { path: () => join(STATIC_DIR, 'charts.js'), contentType: 'text/javascript; charset=utf-8' },
  '/batch-page.js': {
    path: () => join(STATIC_DIR, 'batch-page.js'),
    contentType: 'text/javascript; charset=utf-8',
  },
  '/dom.js': { path: () => join(STATIC_DIR, 'dom.js'), contentType: 'text/javascript; charset=utf-8' },
  '/dashboard.css': { path: () => join(STATIC_DIR, 'dashboard.css'), contentType: 'text/css; charset=utf-8' },
  '/vendor/uPlot.iife.min.js': {
    path: () => join(uplotDist(), 'uPlot.iife.min.js'),
    contentType: 'text/javascript; charset=utf-8',
  },
  '/vendor/uPlot.min.css': {
    path: () => join(uplotDist(), 'uPlot.min.css'),
    contentType: 'text/css; charset=utf-8',
  },
};

export function loadStaticFiles(): Map<string, StaticFile> {
  return new Map(
    Object.entries(SOURCES).map(([route, source]) => [
      route,
      { contentType: source.contentType, body: readFileSync(source.path()) },
    ]),
  );
}
