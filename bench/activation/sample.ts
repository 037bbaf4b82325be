/** One line of the probe's result file: VS Code's own marks for one activation of MechInterp Studio. */
export interface ActivationSample {
  /** 'startup': VS Code activated it (onStartupFinished); 'api': the probe had to ask. */
  readonly trigger?: 'startup' | 'api';
  /** willLoadExtensionCode → didActivateExtension: loading the bundle, the context, activate() until it resolved. */
  readonly totalMs?: number;
  /** willLoadExtensionCode → didLoadExtensionCode: requiring dist/extension.js. */
  readonly loadMs?: number;
  /** willActivateExtension → didActivateExtension: the activate() call and its result resolving. */
  readonly activateCallMs?: number;
  /** The same span for the probe itself, an extension whose activate() does nothing: VS Code's own share. */
  readonly noopTotalMs?: number;
  /** The extension host process. */
  readonly pid?: number;
  readonly error?: string;
}
