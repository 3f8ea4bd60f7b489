/** Every LVM2 command lvmlab runs, by name. */
import type { LvmCommandDef } from "../command.js";
import { lvchangeCommand, vgchangeCommand } from "./activation.js";
import { pvckCommand, vgckCommand } from "./check.js";
import { lvdisplayCommand, pvdisplayCommand, vgdisplayCommand } from "./display.js";
import { helpCommand, versionCommand } from "./info.js";
import { lvconvertCommand } from "./lvconvert.js";
import { lvcreateCommand } from "./lvcreate.js";
import { lvremoveCommand } from "./lvremove.js";
import { lvrenameCommand } from "./lvrename.js";
import { lvextendCommand, lvreduceCommand, lvresizeCommand } from "./lvresize.js";
import { pvchangeCommand } from "./pvchange.js";
import { pvcreateCommand } from "./pvcreate.js";
import { pvmoveCommand } from "./pvmove.js";
import { pvremoveCommand } from "./pvremove.js";
import { pvresizeCommand } from "./pvresize.js";
import { lvsCommand, pvsCommand, vgsCommand } from "./reports.js";
import { vgcfgbackupCommand, vgcfgrestoreCommand } from "./vgcfg.js";
import { vgcreateCommand } from "./vgcreate.js";
import { vgexportCommand, vgimportCommand } from "./vgexport.js";
import { vgextendCommand } from "./vgextend.js";
import { vgreduceCommand } from "./vgreduce.js";
import { vgremoveCommand } from "./vgremove.js";
import { vgrenameCommand } from "./vgrename.js";
import { vgmergeCommand, vgsplitCommand } from "./vgsplit.js";

const ALL: readonly LvmCommandDef[] = [
  pvcreateCommand,
  pvremoveCommand,
  pvresizeCommand,
  pvchangeCommand,
  pvckCommand,
  pvsCommand,
  pvdisplayCommand,
  pvmoveCommand,
  vgcreateCommand,
  vgextendCommand,
  vgreduceCommand,
  vgremoveCommand,
  vgrenameCommand,
  vgexportCommand,
  vgimportCommand,
  vgsplitCommand,
  vgmergeCommand,
  vgcfgbackupCommand,
  vgcfgrestoreCommand,
  vgckCommand,
  vgchangeCommand,
  vgsCommand,
  vgdisplayCommand,
  lvcreateCommand,
  lvextendCommand,
  lvreduceCommand,
  lvresizeCommand,
  lvremoveCommand,
  lvconvertCommand,
  lvrenameCommand,
  lvchangeCommand,
  lvsCommand,
  lvdisplayCommand,
  versionCommand,
  helpCommand(() => ALL.map((c) => c.name)),
];

/** The command table, by name. */
export const COMMANDS: ReadonlyMap<string, LvmCommandDef> = new Map(ALL.map((c) => [c.name, c] as const));
