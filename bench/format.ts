import { fixed } from './stats';

export function mbps(bytesPerSecond: number): string {
  return `${fixed(bytesPerSecond / 1e6, 0)} MB/s`;
}

export function ms(value: number): string {
  return value < 10 ? `${fixed(value, 2)} ms` : value < 100 ? `${fixed(value, 1)} ms` : `${fixed(value, 0)} ms`;
}

export function seconds(msValue: number): string {
  return `${fixed(msValue / 1000, 2)} s`;
}

export function ratio(value: number): string {
  return `${fixed(value, 2)}×`;
}

export function mib(bytes: number): string {
  return `${fixed(bytes / (1024 * 1024), 1)} MiB`;
}

export function percent(value: number): string {
  return `${fixed(value * 100, 2)} %`;
}
