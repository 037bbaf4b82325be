import * as vscode from 'vscode';
import type { EntryItemModel, IconModel } from './entryView';

/** A row model (entryView.ts, cacheView.ts) as VS Code renders it. */
export function toTreeItem(model: EntryItemModel): vscode.TreeItem {
  const item = new vscode.TreeItem(model.label, model.collapsible ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
  item.id = model.id;
  item.description = model.description;
  item.tooltip = markdown(model.tooltip);
  item.iconPath = themeIcon(model.icon);
  item.contextValue = model.contextValue;
  item.accessibilityInformation = { label: `${model.label}, ${model.description}` };
  return item;
}

export function themeIcon(icon: IconModel): vscode.ThemeIcon {
  return new vscode.ThemeIcon(icon.id, icon.color ? new vscode.ThemeColor(icon.color) : undefined);
}

/** Markdown for a tooltip: theme icons on, commands off (names in it come from the disk or the Hub). */
export function markdown(text: string): vscode.MarkdownString {
  const md = new vscode.MarkdownString(text, true);
  md.isTrusted = false;
  return md;
}
