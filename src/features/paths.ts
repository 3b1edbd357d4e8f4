import { join } from 'node:path';
import type { Config } from '../config.js';

/** Feature cache and artifact folders live in the data folder (a shared folder for several workers). */
export const featureStoreRoot = (config: Config) => join(config.dataDir, 'features');
export const artifactRoot = (config: Config) => join(config.dataDir, 'artifacts');
