// Every enum value the portal can show has a Chinese label.
import { describe, expect, it } from 'vitest'
import { departmentLabel, isSet, label, options, portalLabelled, purposes, roleLabel } from './labels'
import { enumLabels, enumValues } from './labels.gen'

const han = /[\u3400-\u9fff]/

describe('labels', () => {
  it('come from the proto comments', () => {
    expect(label('REGISTRY_STATUS_POOR')).toBe('贫困户')
    expect(label('MONITORING_TYPE_UNSTABLE')).toBe('脱贫不稳定户')
    expect(label('EDUCATION_SENIOR_SECONDARY')).toBe('高中/中专')
    expect(label('RELATION_CHILD_IN_LAW')).toBe('儿媳、女婿')
  })

  it('unset and UNSPECIFIED are empty', () => {
    expect(label(undefined)).toBe('')
    expect(label('REGISTRY_STATUS_UNSPECIFIED')).toBe('')
  })

  it('every value of every enum is in Chinese (CSV and XLSX excepted)', () => {
    const missing: string[] = []
    for (const values of Object.values(enumValues)) {
      for (const v of values) if (!han.test(label(v)) && !v.startsWith('ROLL_EXPORT_FORMAT_') && !v.startsWith('LABOUR_FILE_FORMAT_')) missing.push(`${v}: ${label(v)}`)
    }
    expect(missing).toEqual([])
  })

  it('the portal labels only values whose comment starts in English (no Chinese term to take)', () => {
    for (const v of portalLabelled) {
      expect(v in enumLabels, v).toBe(true)
      expect(enumLabels[v], `${v} has a term in its proto comment: drop it from portalLabels`).toMatch(/^[A-Za-z]/)
    }
  })

  it('claim codes name departments and roles', () => {
    expect(departmentLabel('civil_affairs')).toBe('民政局')
    expect(roleLabel('township_officer')).toBe('乡镇干部')
    expect(roleLabel('nobody')).toBe('nobody')
  })

  it('options list an enum without UNSPECIFIED', () => {
    expect(options('RegistryStatus').map((o) => o.label)).toEqual(['一般户', '贫困户', '已脱贫', '返贫'])
  })

  it('purposes travel in claim form', () => {
    expect(purposes()[0]).toEqual({ value: 'case_handling', label: '业务办理' })
  })
})

describe('isSet', () => {
  const tests = [
    { value: 'MONITORING_STATUS_OPEN', want: true },
    { value: 'MONITORING_STATUS_UNSPECIFIED', want: false }, // the API sends unset enums as UNSPECIFIED
    { value: '', want: false },
    { value: undefined, want: false },
  ]
  for (const t of tests) it(String(t.value), () => expect(isSet(t.value)).toBe(t.want))
})
