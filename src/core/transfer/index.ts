export { downloadFile } from './download';
export { closeSharedTransferAgent, sharedTransferAgent } from './agent';
export { openPartialFile, type OpenPartialFile, type PartialFile, type PartialStart } from './partialFile';
export type { ByteRange, DownloadFileOptions, DownloadResult, ExpectedHash, RetryOptions } from './types';
export { readRangeJournal, removeRangeJournal } from './rangeJournal';
export { fileHashMatches } from './fileHash';
