/**
 * `-o help`: the field list LVM2 2.03.16 prints (on stderr), section by section with its own
 * descriptions, for the fields lvmlab reports. Generated from real `lvs -o help` output.
 */

/** Sections in LVM2's order, each with its fields and their descriptions. */
const FIELD_HELP: readonly {
  readonly title: string;
  readonly fields: readonly (readonly [string, string])[];
}[] = [
  {
    title: "Logical Volume Fields",
    fields: [
      ["lv_uuid", "Unique identifier."],
      ["lv_name", "Name.  LVs created for internal use are enclosed in brackets."],
      ["lv_full_name", "Full name of LV including its VG, namely VG/LV."],
      ["lv_path", "Full pathname for LV. Blank for internal LVs."],
      ["lv_layout", "LV layout."],
      ["lv_role", "LV role."],
      ["lv_merging", "Set if snapshot LV is being merged to origin."],
      ["lv_when_full", "For thin pools, behavior when full."],
      ["lv_active", "Active state of the LV."],
      ["lv_size", "Size of LV in current units."],
      ["lv_metadata_size", "For thin and cache pools, the size of the LV that holds the metadata."],
      ["seg_count", "Number of segments in LV."],
      ["origin", "For snapshots and thins, the origin device of this LV."],
      ["move_pv", "For pvmove, Source PV of temporary LV created by pvmove."],
      ["convert_lv", "For lvconvert, Name of temporary LV created by lvconvert."],
      ["mirror_log", "For mirrors, the LV holding the synchronisation log."],
      ["data_lv", "For cache/thin/vdo pools, the LV holding the associated data."],
      ["metadata_lv", "For cache/thin pools, the LV holding the associated metadata."],
      ["pool_lv", "For cache/thin/vdo volumes, the cache/thin/vdo pool LV for this volume."],
      ["lv_host", "Creation host of the LV, if known."],
    ],
  },
  {
    title: "Logical Volume Device Status Fields",
    fields: [
      [
        "data_percent",
        "For snapshot, cache and thin pools and volumes, the percentage full if LV is active.",
      ],
      ["snap_percent", "For snapshots, the percentage full if LV is active."],
      ["metadata_percent", "For cache and thin pools, the percentage of metadata full if LV is active."],
      ["copy_percent", "For Cache, RAID, mirrors and pvmove, current percentage in-sync."],
      ["sync_percent", "For Cache, RAID, mirrors and pvmove, current percentage in-sync."],
      ["lv_health_status", "LV health status."],
      ["kernel_discards", "For thin pools, how discards are handled in kernel."],
      ["lv_check_needed", "For thin pools and cache volumes, whether metadata check is needed."],
      ["lv_merge_failed", "Set if snapshot merge failed."],
      ["lv_snapshot_invalid", "Set if snapshot LV is invalid."],
    ],
  },
  {
    title: "Logical Volume Device Info and Status Combined Fields",
    fields: [["lv_attr", "Various attributes - see man page."]],
  },
  {
    title: "Physical Volume Label Fields",
    fields: [
      ["pv_fmt", "Type of metadata."],
      ["pv_uuid", "Unique identifier."],
      ["dev_size", "Size of underlying device in current units."],
      ["pv_name", "Name."],
    ],
  },
  {
    title: "Physical Volume Fields",
    fields: [
      ["pe_start", "Offset to the start of data on the underlying device."],
      ["pv_size", "Size of PV in current units."],
      ["pv_free", "Total amount of unallocated space in current units."],
      ["pv_used", "Total amount of allocated space in current units."],
      ["pv_attr", "Various attributes - see man page."],
      ["pv_pe_count", "Total number of Physical Extents."],
      ["pv_pe_alloc_count", "Total number of allocated Physical Extents."],
      ["pv_mda_count", "Number of metadata areas on this device."],
      ["pv_in_use", "Set if PV is used."],
    ],
  },
  {
    title: "Volume Group Fields",
    fields: [
      ["vg_fmt", "Type of metadata."],
      ["vg_uuid", "Unique identifier."],
      ["vg_name", "Name."],
      ["vg_attr", "Various attributes - see man page."],
      ["vg_size", "Total size of VG in current units."],
      ["vg_free", "Total amount of free space in current units."],
      ["vg_sysid", "System ID of the VG indicating which host owns it."],
      ["vg_systemid", "System ID of the VG indicating which host owns it."],
      ["vg_extent_size", "Size of Physical Extents in current units."],
      ["vg_extent_count", "Total number of Physical Extents."],
      ["vg_free_count", "Total number of unallocated Physical Extents."],
      ["pv_count", "Number of PVs in VG."],
      ["lv_count", "Number of LVs."],
      ["snap_count", "Number of snapshots."],
      ["vg_seqno", "Revision number of internal metadata.  Incremented whenever it changes."],
      ["vg_mda_count", "Number of metadata areas on this VG."],
    ],
  },
  {
    title: "Logical Volume Segment Fields",
    fields: [
      ["segtype", "Type of LV segment."],
      ["stripes", "Number of stripes or mirror/raid1 legs."],
      ["stripe_size", "For stripes, amount of data placed on one device before switching to the next."],
      ["region_size", "For mirrors/raids, the unit of data per leg when synchronizing devices."],
      ["chunk_size", "For snapshots, the unit of data used when tracking changes."],
      ["thin_count", "For thin pools, the number of thin volumes in this pool."],
      ["discards", "For thin pools, how discards are handled."],
      ["zero", "For thin pools and volumes, if zeroing is enabled."],
      ["seg_start", "Offset within the LV to the start of the segment in current units."],
      ["seg_start_pe", "Offset within the LV to the start of the segment in physical extents."],
      ["seg_size", "Size of segment in current units."],
      ["seg_size_pe", "Size of segment in physical extents."],
      [
        "seg_pe_ranges",
        "Ranges of Physical Extents of underlying devices in command line format (deprecated, use seg_le_ranges for common format).",
      ],
      ["devices", "Underlying devices used with starting extent numbers."],
    ],
  },
  {
    title: "Physical Volume Segment Fields",
    fields: [
      ["pvseg_start", "Physical Extent number of start of segment."],
      ["pvseg_size", "Number of extents in segment."],
    ],
  },
];

/** The lines of `-o help` for the fields lvmlab knows, as LVM2 lays them out. */
export function fieldHelpLines(): string[] {
  const lines: string[] = [];
  for (const section of FIELD_HELP) {
    lines.push(section.title, "-".repeat(section.title.length));
    for (const [name, description] of section.fields) lines.push(`  ${name.padEnd(27)} - ${description}`);
    lines.push(" ");
  }
  return lines;
}
