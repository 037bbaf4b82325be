export { Catalog } from './catalog';
export { openCatalog, CatalogTooNewError, type OpenCatalogOptions } from './open';
export { CATALOG_SCHEMA_VERSION, type Migration } from './migrations';
export type { CatalogFileSystem, DurableFile } from './catalogFile';
export { foldForSearch } from './searchKey';
export * from './types';
