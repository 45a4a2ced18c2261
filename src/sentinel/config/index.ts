export * from './model.js';
export {
  ConfigError,
  checkConfigFileWritable,
  loadConfigFile,
  parseConfig,
  type ParseOptions,
} from './parse.js';
export {
  REWRITE_SIGNATURE,
  renderConfig,
  rewriteConfigFile,
  writeFileAtomic,
  type RenderOptions,
} from './rewrite.js';
export { formatArg, reprArg, splitArgs } from './args.js';
