// labels.ts gives every enum value its Chinese label: from the protos' comments (labels.gen.ts), and for
// the few values whose comment has no Chinese term, from the table below (a test keeps it complete).
import { enumLabels, enumValues } from './labels.gen'

/** Chinese labels of values whose proto comment is English only. */
const portalLabels: Record<string, string> = {
  INCLUSION_RULE_NONE: '不符合纳入标准',
  INCLUSION_RULE_INCOME_BELOW_LINE: '人均纯收入低于识别标准',
  INCLUSION_RULE_EXTENDED_LINE_HARDSHIP: '低于扩展标准且有辍学、危房或大病',
  INCLUSION_RULE_LABOUR_LOSS_SUPPORT: '丧失劳动能力且为低保、特困或残疾贫困家庭',
  IMPORT_OUTCOME_REJECTED: '不予导入',
  IMPORT_OUTCOME_CONFLICT: '户编号冲突',
  IMPORT_OUTCOME_ALREADY_IMPORTED: '已导入',
  CLUE_IMPORT_OUTCOME_CREATED: '已登记',
  CLUE_IMPORT_OUTCOME_EXISTING: '此前已登记',
  CLUE_IMPORT_OUTCOME_FAILED: '未登记',
  ROLL_EXPORT_FORMAT_CSV: 'CSV',
  ROLL_EXPORT_FORMAT_XLSX: 'Excel (XLSX)',
  LEDGER_FILE_FORMAT_CSV: 'CSV 文件',
  LEDGER_FILE_FORMAT_XLSX: 'Excel 文件 (XLSX)',
}

export type EnumName = keyof typeof enumValues

/** label is an enum value's Chinese label; unset and UNSPECIFIED values give "" (pages show "—"). */
export function label(value: string | undefined): string {
  if (!value) return ''
  return portalLabels[value] ?? enumLabels[value] ?? value
}

/** isSet: does an enum field hold a value (the API sends UNSPECIFIED for unset enums)? */
export function isSet(value: string | undefined): boolean {
  return !!value && !value.endsWith('_UNSPECIFIED')
}

/** options lists an enum's values with labels, for a select. */
export function options(name: EnumName): { value: string; label: string }[] {
  return enumValues[name].map((v) => ({ value: v, label: label(v) }))
}

/** departmentLabel names a department claim code ("civil_affairs" → 民政局). */
export const departmentLabel = (code: string): string => enumLabels['DEPARTMENT_' + code.toUpperCase()] || code

/** roleLabel names a role claim code ("township_officer" → 乡镇干部). */
export const roleLabel = (code: string): string => enumLabels['ROLE_' + code.toUpperCase()] || code

/** Purposes a person can state for a plain-text read, in claim form ("case_handling") with labels. */
export function purposes(): { value: string; label: string }[] {
  return enumValues.Purpose.map((v) => ({ value: v.slice('PURPOSE_'.length).toLowerCase(), label: label(v) }))
}

/** The enum values whose label comes from the portal, for the completeness test. */
export const portalLabelled = Object.keys(portalLabels)
