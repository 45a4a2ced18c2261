export { R, type ProtocolVersion, type Reply } from './reply.js';
export {
  encodeReplies,
  encodeReply,
  formatDouble,
  replyByteLength,
  ReplyWriter,
  sanitizeLine,
  writeReply,
} from './encoder.js';
export {
  parseRedisInteger,
  PROTOCOL_DEFAULTS,
  ProtocolErrors,
  protocolErrorReply,
  RequestParser,
  splitArgs,
  type ParsedItem,
  type RequestParserOptions,
} from './parser.js';
