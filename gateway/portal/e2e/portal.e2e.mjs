// The portal end to end (issues 10 and 11): the county started as `make run` starts it (`fupin dev`, demo
// data seeded), Debian's chromium driven by playwright-core, people signing in through the development
// identity provider. Run by `make portal-e2e` (part of `make test`): node --test e2e/portal.e2e.mjs.
// Screenshots, the 公示 print PDF and its PNG pages go to e2e-artifacts/ (git ignores it).
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { startCounty } from './stack.mjs'
import { api, artifacts, axe, launch, me, shot, signIn, viewport } from './browser.mjs'
import { daysAgo, householdFor, tabTo, unlabelledInputs, visit, watchRegions, xlsxRows } from './helpers.mjs'

let county
let browser

before(async () => {
  county = await startCounty()
  browser = await launch()
})

after(async () => {
  await browser?.close()
  await county?.stop()
})

/** A village officer's case, created (backdated) and surveyed through the API, waiting for 民主评议. */
async function caseAtVillageReview(page, village) {
  const hh = await householdFor(page, village)
  const k = await api(page, 'POST', '/v1/cases', { kind: 'identification', household: hh.name, occurred_at: daysAgo(20), backdate_reason: '补录纸质材料' })
  await api(page, 'POST', `/v1/${k.name}:recordSurvey`, {
    team: ['张三', '李四'],
    occurred_at: daysAgo(19),
    backdate_reason: '补录纸质材料',
    household_survey: {
      per_capita_income_fen: 250000,
      house_safety_grade: 'HOUSE_SAFETY_GRADE_B',
      safe_drinking_water: true,
      school_dropout: 'SCHOOL_DROPOUT_NONE',
      household_labour: 'HOUSEHOLD_LABOUR_ABLE',
    },
  })
  return { kase: k, household: hh }
}

describe('security', () => {
  test('signed out, an official page redirects to sign-in before any HTML', async () => {
    const context = await browser.newContext({ baseURL: county.url, viewport })
    try {
      const r = await context.request.get('/households', { maxRedirects: 0, headers: { Accept: 'text/html' } })
      assert.ok([302, 303].includes(r.status()), `GET /households signed out: ${r.status()}`)
      assert.equal(r.headers()['location'], '/auth/login?next=%2Fhouseholds')
      const page = await context.newPage()
      await page.goto(county.url + '/households')
      await page.waitForURL((u) => u.pathname.startsWith('/dev-idp'))
      await page.locator('button[value="rural_revitalization.county_admin"]').waitFor()
      await shot(page, 'sign-in-dev-idp')
      assert.deepEqual(await axe(page), [], 'axe: the sign-in page')
    } finally {
      await context.close()
    }
  })

  test('the session cookie is HttpOnly and SameSite=Lax; a mutation without the CSRF token is refused', async () => {
    const { context, page } = await signIn(browser, county.url, 'rural_revitalization.county_admin')
    try {
      const cookie = (await context.cookies()).find((c) => c.name === 'fupin_session')
      assert.ok(cookie, 'no fupin_session cookie')
      assert.equal(cookie.httpOnly, true)
      assert.equal(cookie.sameSite, 'Lax')
      assert.equal(cookie.path, '/')
      assert.equal(cookie.expires, -1, 'a session cookie (no Max-Age)')
      // The page's JavaScript cannot see it …
      assert.ok(!(await page.evaluate(() => document.cookie)).includes('fupin_session'))
      // … and a same-origin mutation from the page without X-CSRF-Token is refused, cookie or not.
      const refused = await page.evaluate(async () => {
        const r = await fetch('/v1/cases', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ kind: 'identification', household: 'households/x' }),
        })
        return { status: r.status, body: await r.text() }
      })
      assert.equal(refused.status, 403, refused.body)
      assert.match(refused.body, /CSRF_TOKEN_MISMATCH/)
      const logout = await page.request.post('/auth/logout')
      assert.equal(logout.status(), 403, 'logout without the token')
      // With the token the same call passes the gateway and reaches the service, whose access rule answers
      // (a county admin does not open cases).
      const passed = await api(page, 'POST', '/v1/cases', { kind: 'identification', household: 'households/x' }, { expect: 403 })
      assert.equal(passed.error?.status, 'PERMISSION_DENIED', JSON.stringify(passed))
    } finally {
      await context.close()
    }
  })
})

describe('a village officer', () => {
  test('records a village review (民主评议) by keyboard alone, seeing only their village', async () => {
    const { context, page } = await signIn(browser, county.url, 'rural_revitalization.village_officer')
    try {
      const village = (await me(page)).region
      assert.equal(village.length, 12)
      const seen = watchRegions(page)
      const { kase } = await caseAtVillageReview(page, village)

      await visit(page, '/households', 'households-village-officer')
      await page.locator('.el-table__row').first().waitFor()
      await visit(page, '/cases', 'cases-village-officer')
      await page.locator('.el-table__row').first().waitFor()
      await seen.check((code) => code.startsWith(village), `village ${village}`)

      await visit(page, '/' + kase.name, 'case-village-review-before')
      // Keyboard only: Tab to the step's button, Enter; Tab through the form typing numbers; Enter submits.
      await tabTo(page, (el) => el.tagName === 'BUTTON' && el.textContent.includes('办理：民主评议'))
      await page.keyboard.press('Enter')
      await page.getByRole('form', { name: '民主评议' }).waitFor()
      assert.deepEqual(await unlabelledInputs(page), [], 'inputs without a label on the 民主评议 form')
      for (const [name, value] of [['在册村民代表数', '40'], ['到会人数', '31'], ['同意票数', '22']]) {
        await tabTo(page, (el, n) => el.getAttribute('aria-label') === n, name)
        await page.keyboard.press('Control+A')
        await page.keyboard.type(value)
      }
      await page.keyboard.press('Enter')
      await page.getByText('已保存：办理：民主评议').waitFor()
      await shot(page, 'case-village-review-saved')
      const after = await api(page, 'GET', '/v1/' + kase.name)
      assert.equal(after.next_step, 'posting', JSON.stringify(after))
      const review = after.steps.find((st) => st.step === 'village_review')?.village_review ?? {}
      assert.deepEqual([review.registered_representatives, review.present, review.votes_for], [40, 31, 22], JSON.stringify(after.steps))
      assert.equal(review.passed, true)
      assert.deepEqual(await axe(page), [], 'axe: the case page')
    } finally {
      await context.close()
    }
  })
})

describe('a township officer', () => {
  test('sees only their township, on the pages and in every /v1 answer the portal gets', async () => {
    const { context, page } = await signIn(browser, county.url, 'rural_revitalization.township_officer')
    try {
      const township = (await me(page)).region
      assert.equal(township.length, 9)
      const seen = watchRegions(page)
      await page.reload()
      await page.locator('[data-kpi="poor_persons"]').waitFor()
      await shot(page, 'dashboard-township-officer')
      await visit(page, '/households', 'households-township-officer')
      await page.locator('.el-table__row').first().waitFor()
      await visit(page, '/cases', 'cases-township-officer')
      await visit(page, '/monitoring/clues', 'clues-township-officer')
      // Every row the list shows is of the township (the region column names it).
      await visit(page, '/households', null)
      await page.locator('.el-table__row').first().waitFor()
      const n = await seen.check((code) => code.startsWith(township), `township ${township}`)
      assert.ok(n > 10, `only ${n} region codes seen in the portal's API answers`)
      // Asking the API for another township's households finds none: the scope is the server's.
      const other = township === '990001001' ? '990001002' : '990001001'
      const others = await api(page, 'GET', `/v1/households?page_size=1&filter=${encodeURIComponent(`region_code:"${other}"`)}`)
      assert.deepEqual(others.households ?? [], [])
    } finally {
      await context.close()
    }
  })
})

describe('a county admin', () => {
  test('decides a case (县级审定), and the dashboard shows the statistics API’s figures for the same date', async () => {
    // The case, through the API as the village officer and the township officer would record it.
    const village = await signIn(browser, county.url, 'rural_revitalization.village_officer')
    const township = await signIn(browser, county.url, 'rural_revitalization.township_officer')
    const admin = await signIn(browser, county.url, 'rural_revitalization.county_admin')
    try {
      const code = (await me(village.page)).region
      const { kase, household } = await caseAtVillageReview(village.page, code)
      const back = { backdate_reason: '补录纸质材料' }
      await api(village.page, 'POST', `/v1/${kase.name}:recordVillageReview`, { registered_representatives: 40, present: 30, votes_for: 25, occurred_at: daysAgo(18), ...back })
      await api(village.page, 'POST', `/v1/${kase.name}:startPosting`, { occurred_at: daysAgo(15), note: '村务公开栏', ...back })
      await api(village.page, 'POST', `/v1/${kase.name}:completePosting`, { note: '公示期满无异议' })
      await api(township.page, 'POST', `/v1/${kase.name}:recordTownshipReview`, { approved: true, note: '同意' })

      const { page } = admin
      await page.locator('[data-kpi="poor_persons"]').waitFor()
      const before = await countyStatistics(page)

      await visit(page, '/' + kase.name, 'case-county-decision-before')
      await page.getByRole('button', { name: '办理：县级审定' }).click()
      await page.getByRole('radio', { name: '批准纳入' }).check()
      await page.getByRole('button', { name: '提交' }).click()
      await page.getByText('已保存：办理：县级审定').waitFor()
      await shot(page, 'case-county-decision-saved')
      const decided = await api(page, 'GET', '/v1/' + kase.name)
      assert.equal(decided.decision?.outcome, 'CASE_OUTCOME_APPROVED', JSON.stringify(decided))

      // The dashboard, today: its figures are the API's, and the household's members are now poor.
      const seen = []
      const onResponse = (r) => r.url().includes('/statistics') && seen.push(r.url())
      page.on('response', onResponse)
      await visit(page, '/', 'dashboard-county-admin')
      await page.locator('[data-kpi="poor_persons"]').waitFor()
      page.off('response', onResponse)
      assert.equal(seen.length, 1, `statistics calls: ${seen}`)
      const url = new URL(seen[0])
      const today = url.searchParams.get('as_of_date')
      assert.match(today, /^\d{4}-\d{2}-\d{2}$/)
      const stats = await api(page, 'GET', url.pathname + url.search)
      assert.equal(stats.as_of_date, today)
      const own = stats.regions[0]
      const shown = async (k) => (await page.locator(`[data-kpi="${k}"]`).innerText()).replace(/[,\s户]/g, '')
      assert.equal(await shown('rural_population'), String(own.rural_population))
      assert.equal(await shown('poor_persons'), String(own.poor_persons))
      assert.equal(await shown('households'), String(own.households))
      const pct = own.incidence?.defined ? (Number(own.incidence.basis_points) / 100).toFixed(2) + '%' : '—'
      assert.equal(await shown('incidence'), pct)
      const members = (household.members ?? []).filter((m) => m.state === 'MEMBER_STATE_ACTIVE').length
      assert.equal(Number(own.poor_persons) - Number(before.poor_persons), members, 'poor persons after the approval')
      // The chart has a bar per township.
      assert.equal(stats.regions.filter((r) => r.level === 'REGION_LEVEL_TOWNSHIP').length > 1, true)
      await page.locator('canvas').first().waitFor()
    } finally {
      await Promise.all([village.context.close(), township.context.close(), admin.context.close()])
    }
  })
})

/** The county's own statistics today, through the API. */
async function countyStatistics(page) {
  const regions = await api(page, 'GET', '/v1/regions?page_size=1000')
  const county = (regions.regions ?? []).find((r) => r.level === 'REGION_LEVEL_COUNTY')
  assert.ok(county, 'no county in the region master data')
  const s = await api(page, 'GET', `/v1/regions/${county.code}/statistics`)
  return s.regions[0]
}

describe('accessibility', () => {
  test('the main pages have no serious or critical axe violations, and every input has a label', async () => {
    const { context, page } = await signIn(browser, county.url, 'rural_revitalization.county_admin')
    try {
      const problems = []
      await page.locator('[data-kpi="poor_persons"]').waitFor()
      const pages = [
        ['/', 'dashboard'],
        ['/households', 'households'],
        ['/cases', 'cases'],
        ['/monitoring/clues', 'clues'],
        ['/monitoring/screening', 'screening'],
        ['/imports', 'imports'],
        ['/objections', 'objections-rural-revitalization'],
      ]
      for (const [path, name] of pages) {
        await visit(page, path, null)
        await page.waitForLoadState('networkidle')
        await shot(page, name)
        for (const v of await axe(page)) problems.push(`${path}: ${v}`)
        for (const v of await unlabelledInputs(page)) problems.push(`${path}: input without a label: ${v}`)
      }
      // A household's page (the first of the list).
      await visit(page, '/households', null)
      await page.locator('.el-table__row a').first().click()
      await page.waitForURL(/\/households\/[^/]+$/)
      await page.waitForLoadState('networkidle')
      await shot(page, 'household')
      for (const v of await axe(page)) problems.push(`household page: ${v}`)
      for (const v of await unlabelledInputs(page)) problems.push(`household page: input without a label: ${v}`)
      assert.deepEqual(problems, [])
    } finally {
      await context.close()
    }
  })

  test('民政 and 残联 pages (lists, a 低保 case, a payment roll, 异议受理, certificates), 待我办理 and 审计 have none either', async () => {
    const problems = []
    /** walk opens each path as the person and checks it; `open`, when given, follows a link from it. */
    const walk = async (user, pages) => {
      const { context, page } = await signIn(browser, county.url, user)
      try {
        for (const [path, name, link] of pages) {
          await visit(page, path, null)
          await page.waitForLoadState('networkidle')
          let where = path
          if (link) {
            const a = page.locator(link).first()
            await a.waitFor()
            await a.click()
            await page.waitForURL((u) => u.pathname !== path)
            await page.waitForLoadState('networkidle')
            where = new URL(page.url()).pathname
          }
          await page.locator('h1').first().waitFor()
          await shot(page, name)
          // With the pointer on the page's first solid button: its hover colours count too.
          const solid = page.locator('.el-button--primary:not(.is-disabled):visible')
          if (await solid.count()) await solid.first().hover()
          for (const v of await axe(page)) problems.push(`${where}: ${v}`)
          for (const v of await unlabelledInputs(page)) problems.push(`${where}: input without a label: ${v}`)
        }
      } finally {
        await context.close()
      }
    }
    await walk('civil_affairs.county_admin', [
      ['/dibao/cases', 'dibao-cases'],
      ['/dibao/cases', 'dibao-case', '.el-table__row a[href^="/dibao/cases/"]'],
      ['/dibao/reviews', 'dibao-reviews'],
      ['/dibao/eligibilityChecks', 'eligibility-checks'],
      ['/destitute/cases', 'destitute-cases'],
      ['/temporaryAssistance', 'temporary-assistance'],
      ['/comparisons', 'comparisons'],
      ['/paymentRolls', 'payment-rolls'],
      ['/paymentRolls', 'payment-roll', '.el-table__row a[href^="/paymentRolls/"]'],
      ['/objections', 'objections-civil-affairs'],
    ])
    await walk('disabled_persons_federation.county_admin', [
      ['/certificates', 'certificates'],
      ['/disabilitySubsidies', 'disability-subsidies'],
    ])
    // 待我办理 (the inbox) of the officers whose steps wait, and 审计 of the auditors.
    await walk('rural_revitalization.village_officer', [['/inbox', 'inbox-village-officer']])
    await walk('civil_affairs.township_officer', [['/inbox', 'inbox-civil-affairs-township-officer']])
    await walk('rural_revitalization.auditor', [['/audit', 'audit']])
    await walk('civil_affairs.auditor', [['/audit', 'audit-civil-affairs']])
    assert.deepEqual(problems, [])
  })

  test('人社 pages (帮扶车间, 就业补贴) have none either', async () => {
    const problems = []
    const { context, page } = await signIn(browser, county.url, 'human_resources.county_admin')
    try {
      for (const [path, name] of [
        ['/employment/workshops', 'workshops'],
        ['/employment/subsidies', 'employment-subsidies'],
      ]) {
        await visit(page, path, null)
        await page.waitForLoadState('networkidle')
        await page.locator('h1').first().waitFor()
        await shot(page, name)
        for (const v of await axe(page)) problems.push(`${path}: ${v}`)
        for (const v of await unlabelledInputs(page)) problems.push(`${path}: input without a label: ${v}`)
      }
      // The dialogs that register a workshop and an application.
      await visit(page, '/employment/workshops', null)
      await page.getByRole('button', { name: '登记车间' }).click()
      await page.getByRole('dialog', { name: '登记帮扶车间' }).waitFor()
      for (const v of await axe(page)) problems.push(`登记帮扶车间: ${v}`)
      for (const v of await unlabelledInputs(page)) problems.push(`登记帮扶车间: input without a label: ${v}`)
      await visit(page, '/employment/subsidies', null)
      await page.getByRole('button', { name: '登记申请' }).click()
      await page.getByRole('dialog', { name: '就业补贴申请' }).waitFor()
      for (const v of await axe(page)) problems.push(`就业补贴申请: ${v}`)
      for (const v of await unlabelledInputs(page)) problems.push(`就业补贴申请: input without a label: ${v}`)
    } finally {
      await context.close()
    }
    assert.deepEqual(problems, [])
  })
})

/** month is the current month in Asia/Shanghai, YYYY-MM (the month of the demo county's draft rolls). */
function month() {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' }).format(new Date())
}

describe('民政 payment rolls (发放名册)', () => {
  test('the county admin approves this month’s 低保 roll and downloads it as a real XLSX holding its totals', async () => {
    const { context, page } = await signIn(browser, county.url, 'civil_affairs.county_admin')
    try {
      // `fupin dev` computes this month's draft rolls of both programs (devstack/demo_subsidies.go).
      const rolls = await api(page, 'GET', '/v1/paymentRolls?page_size=500')
      const draft = (rolls.rolls ?? []).find((r) => r.program === 'PROGRAM_DIBAO' && r.month === month())
      assert.ok(draft, `no 低保 roll of ${month()}: ${JSON.stringify(rolls)}`)
      assert.equal(draft.state, 'ROLL_STATE_DRAFT')
      assert.ok(Number(draft.totals?.line_count) > 0, JSON.stringify(draft.totals))

      await visit(page, '/paymentRolls', null)
      await page.locator(`.el-table__row a[href="/${draft.name}"]`).click()
      await page.waitForURL(`**/${draft.name}`)
      await page.getByRole('heading', { level: 1, name: new RegExp(`${draft.month} 发放名册$`) }).waitFor()
      await page.waitForLoadState('networkidle')
      await shot(page, 'roll-before')
      await page.getByRole('button', { name: '审核通过' }).click()
      const dialog = page.getByRole('dialog', { name: '审核名册' })
      await dialog.getByText(`${draft.totals.line_count} 笔`).waitFor()
      await dialog.getByRole('button', { name: '确定' }).click()
      await page.getByRole('status').filter({ hasText: '名册已审核' }).waitFor()
      const approved = await api(page, 'GET', '/v1/' + draft.name)
      assert.equal(approved.state, 'ROLL_STATE_APPROVED', JSON.stringify(approved))
      assert.equal(approved.approved_by, (await me(page)).subject)
      await shot(page, 'roll-approved')
      // Each line shows its payment state as funds reported it: nothing reported yet (issue 13).
      const firstLine = page.locator('[aria-label="名册明细"] .el-table__row').first()
      await firstLine.waitFor()
      assert.match(await firstLine.innerText(), /未发送/)

      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: '下载 Excel' }).click()])
      assert.match(download.suggestedFilename(), /\.xlsx$/)
      const dir = join(artifacts, 'downloads')
      mkdirSync(dir, { recursive: true })
      const file = join(dir, download.suggestedFilename())
      await download.saveAs(file)
      const xlsx = readFileSync(file)
      // A zip (PK\x03\x04) whose sheet holds the roll: a header, one row per line, the 分 column summing to
      // the roll's total.
      assert.equal(xlsx.subarray(0, 4).toString('hex'), '504b0304')
      const [header, ...lines] = xlsxRows(xlsx)
      assert.deepEqual(header.slice(0, 3), ['序号', '项目', '发放月份'])
      const fen = header.indexOf('金额(分)')
      assert.ok(fen > 0, `header: ${header}`)
      assert.equal(lines.length, Number(approved.totals.line_count))
      assert.ok(lines.every((l) => l[1] === '低保' && l[2] === draft.month), 'every line is of the 低保 roll of the month')
      assert.equal(String(lines.reduce((sum, l) => sum + BigInt(l[fen]), 0n)), String(approved.totals.amount_fen))
    } finally {
      await context.close()
    }
  })
})

describe('导入 (ledger upload)', () => {
  test('a dry run of a ledger with a bad row shows that row’s error', async () => {
    const { context, page } = await signIn(browser, county.url, 'rural_revitalization.county_admin', '/imports')
    try {
      await page.getByRole('heading', { level: 1, name: '台账导入' }).waitFor()
      // Row 3 (the header is row 1) carries an impossible 身份证号 (month 13).
      await page.getByLabel('台账文件').setInputFiles(join(import.meta.dirname, 'fixtures', 'ledger-bad-row.csv'))
      await page.getByRole('button', { name: '预检（不写入）' }).click()
      await page.getByRole('heading', { name: '预检结果（未写入）' }).waitFor()
      const issues = page.locator('[aria-label="问题清单"] .el-table__row')
      await issues.first().waitFor()
      const row = issues.filter({ has: page.locator('td:first-child', { hasText: /^3$/ }) })
      assert.equal(await row.count(), 1, await issues.allInnerTexts().then((t) => t.join(' | ')))
      const text = await row.innerText()
      assert.match(text, /身份证号/, text)
      assert.match(text, /9900010110019901/, text)
      // The other household of the file is fine: no row of it.
      assert.equal(await issues.filter({ hasText: '9900010050079901' }).count(), 0)
      await shot(page, 'import-row-error')
      assert.deepEqual(await axe(page), [], 'axe: the import page with its findings')
    } finally {
      await context.close()
    }
  })
})

/** objectOnline sends an objection on a public notice page as anyone would and returns its 查询码. */
async function objectOnline(page, noticeUrl, content) {
  await page.goto(noticeUrl)
  await page.getByRole('link', { name: '对本公示提出异议' }).click()
  await page.getByLabel(/异议内容/).fill(content)
  const question = await page.getByLabel(/请计算/).evaluate((el) => el.closest('label').textContent)
  const [, a, b] = /(\d+)\s*\+\s*(\d+)/.exec(question)
  await page.getByLabel(/请计算/).fill(String(Number(a) + Number(b)))
  await page.getByRole('button', { name: '提交异议' }).click()
  const code = (await page.locator('.ok strong').innerText()).trim()
  assert.ok(code.length > 4, `查询码 ${code}`)
  return code
}

describe('异议受理 (objections received online, issue 11)', () => {
  test('objections sent on /gongshi are counted on the officer’s dashboard, accepted or dismissed; the dismissal’s reason shows on the tracking page', async () => {
    // A posting in progress in the village officer's village.
    const village = await signIn(browser, county.url, 'rural_revitalization.village_officer')
    const code = (await me(village.page)).region
    try {
      const { kase } = await caseAtVillageReview(village.page, code)
      await api(village.page, 'POST', `/v1/${kase.name}:recordVillageReview`, { registered_representatives: 40, present: 30, votes_for: 25, occurred_at: daysAgo(5), backdate_reason: '补录' })
      await api(village.page, 'POST', `/v1/${kase.name}:startPosting`, { note: '村务公开栏' })
    } finally {
      await village.context.close()
    }
    const officer = await signIn(browser, county.url, 'rural_revitalization.township_officer')
    const count = async () => {
      const badge = officer.page.getByTestId('objection-count')
      // The card shows … until its counts are in.
      await officer.page.waitForFunction(() => /^[0-9]+$/.test(document.querySelector('[data-testid="objection-count"]')?.textContent.trim() ?? ''))
      return Number(await badge.innerText())
    }
    const publicContext = await browser.newContext({ baseURL: county.url, viewport: { width: 390, height: 844 }, isMobile: true })
    try {
      const before = await count()
      // Anyone, signed out, on a phone: the village's notices, the first still open for objections.
      const pub = await publicContext.newPage()
      await pub.goto(`${county.url}/gongshi/r/${code}`)
      let notice
      for (const href of await pub.locator('a[href^="/gongshi/n/identification/"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')))) {
        await pub.goto(county.url + href)
        if (await pub.getByRole('link', { name: '对本公示提出异议' }).count()) {
          notice = county.url + href
          break
        }
      }
      assert.ok(notice, 'no notice open for objections')
      const stamp = Date.now().toString(36)
      const dismissMe = `e2e-${stamp}-1：该户去年新建两层楼房，家中有小轿车。`
      const acceptMe = `e2e-${stamp}-2：该户长子在县城有稳定工作，收入未计入。`
      const dismissedNo = await objectOnline(pub, notice, dismissMe)
      await shot(pub, 'gongshi-objection-received')
      const acceptedNo = await objectOnline(pub, notice, acceptMe)

      // The township officer's dashboard counts both.
      await officer.page.reload()
      assert.equal(await count(), before + 2, 'objections waiting on the dashboard')
      await shot(officer.page, 'dashboard-objections-township-officer')
      await officer.page.getByRole('link', { name: '去受理' }).click()
      await officer.page.getByRole('heading', { level: 1, name: '异议受理' }).waitFor()
      await officer.page.waitForLoadState('networkidle')
      await shot(officer.page, 'objections-township-officer')
      const row = (content) => officer.page.locator('.el-table__row').filter({ hasText: content })

      const reason = '经入户核查，楼房为亲属所有，车辆已于去年出售，不影响认定。'
      await row(dismissMe).getByRole('button', { name: '不予受理' }).click()
      const dismiss = officer.page.getByRole('dialog', { name: '不予受理' })
      await dismiss.getByLabel('不予受理理由').fill(reason)
      assert.deepEqual(await axe(officer.page), [], 'axe: the dismiss dialog')
      await dismiss.getByRole('button', { name: '不予受理' }).click()
      await officer.page.getByRole('status').filter({ hasText: '已不予受理' }).waitFor()

      await row(acceptMe).getByRole('button', { name: '受理', exact: true }).click()
      const accept = officer.page.getByRole('dialog', { name: '受理异议' })
      await accept.getByLabel('受理意见').fill('转村委会重新核查收入')
      await accept.getByRole('button', { name: '受理', exact: true }).click()
      await officer.page.getByRole('status').filter({ hasText: '已受理' }).waitFor()
      await row(acceptMe).waitFor({ state: 'detached' })
      assert.deepEqual(await axe(officer.page), [], 'axe: 异议受理')

      // Back on the dashboard, neither waits any more.
      await visit(officer.page, '/', null)
      assert.equal(await count(), before)

      // The public tracking page: the dismissal with its reason; the accepted one without a reason.
      await pub.goto(`${county.url}/gongshi/track?no=${encodeURIComponent(dismissedNo)}`)
      const status = pub.locator('table')
      assert.match(await status.innerText(), /不予受理的理由/)
      assert.ok((await status.innerText()).includes(reason), await status.innerText())
      await shot(pub, 'gongshi-track-dismissed')
      assert.deepEqual(await axe(pub), [], 'axe: the tracking page')
      await pub.goto(`${county.url}/gongshi/track?no=${encodeURIComponent(acceptedNo)}`)
      const accepted = await pub.locator('table').innerText()
      assert.match(accepted, /受理/)
      assert.doesNotMatch(accepted, /不予受理/)
    } finally {
      await Promise.all([officer.context.close(), publicContext.close()])
    }
  })
})

describe('审计 (audit)', () => {
  test('an auditor finds the plain read just made, with its purpose', async () => {
    const officer = await signIn(browser, county.url, 'rural_revitalization.county_admin')
    const auditor = await signIn(browser, county.url, 'rural_revitalization.auditor')
    try {
      // A plain read through the portal: a household's page, 显示明文, a purpose.
      const list = await api(officer.page, 'GET', '/v1/households?page_size=1')
      const hh = list.households[0]
      await visit(officer.page, '/' + hh.name, null)
      await officer.page.getByRole('button', { name: '显示明文' }).first().click()
      const dialog = officer.page.getByRole('dialog', { name: '查看明文' })
      const purpose = dialog.locator('.el-radio').first()
      const purposeText = (await purpose.innerText()).trim()
      await purpose.click()
      assert.equal(await dialog.getByRole('radio').first().isChecked(), true)
      await dialog.getByRole('button', { name: '确定' }).click()
      await officer.page.locator('text=/[0-9]{17}[0-9X]/').first().waitFor()
      const who = (await me(officer.page)).subject

      await visit(auditor.page, '/audit', null)
      await auditor.page.getByRole('heading', { level: 1, name: '审计' }).waitFor()
      await auditor.page.getByLabel('农户', { exact: true }).fill(hh.name.split('/')[1])
      await auditor.page.getByLabel('操作人', { exact: true }).fill(who)
      await auditor.page.getByRole('button', { name: '查询' }).click()
      const rows = auditor.page.locator('[aria-label="审计记录"] .el-table__row').filter({ hasText: who }).filter({ hasText: purposeText })
      await rows.first().waitFor()
      const text = await rows.first().innerText()
      assert.match(text, /查看/, text)
      assert.match(text, /GetHousehold/, text)
      await auditor.page.waitForLoadState('networkidle')
      await shot(auditor.page, 'audit-found')
      assert.deepEqual(await axe(auditor.page), [], 'axe: the audit page with its rows')
    } finally {
      await Promise.all([officer.context.close(), auditor.context.close()])
    }
  })
})

describe('公示 (public notices, issue 11)', () => {
  test('the public page lists a posting without ID or phone numbers, and its A4 sheet prints', async () => {
    // A posting in progress in the village officer's village.
    const village = await signIn(browser, county.url, 'rural_revitalization.village_officer')
    const code = (await me(village.page)).region
    try {
      const { kase } = await caseAtVillageReview(village.page, code)
      await api(village.page, 'POST', `/v1/${kase.name}:recordVillageReview`, { registered_representatives: 40, present: 30, votes_for: 25, occurred_at: daysAgo(5), backdate_reason: '补录' })
      await api(village.page, 'POST', `/v1/${kase.name}:startPosting`, { note: '村务公开栏' })
    } finally {
      await village.context.close()
    }

    // Anyone, signed out.
    const context = await browser.newContext({ baseURL: county.url, viewport: { width: 390, height: 844 }, isMobile: true })
    try {
      const page = await context.newPage()
      const html = []
      page.on('response', async (r) => {
        if ((r.headers()['content-type'] ?? '').startsWith('text/html')) html.push([r.url(), await r.text().catch(() => '')])
      })
      await page.goto(county.url + '/gongshi')
      await shot(page, 'gongshi-index')
      await page.locator(`a[href="/gongshi/r/${code.slice(0, 9)}"]`).click()
      await page.waitForURL(`**/gongshi/r/${code.slice(0, 9)}`)
      await shot(page, 'gongshi-township')
      const notice = page.locator('a[href^="/gongshi/n/identification/"]').first()
      await notice.waitFor()
      assert.deepEqual(await axe(page), [], 'axe: the township page')
      await notice.click()
      await page.waitForURL(/\/gongshi\/n\/identification\/[0-9a-z]+$/)
      await shot(page, 'gongshi-notice')
      assert.deepEqual(await axe(page), [], 'axe: the notice')
      const content = await page.content()
      assert.match(content, /12317/)

      // What the browser received holds no 18-character ID number and no mobile number.
      assert.ok(html.length >= 3, `HTML answers seen: ${html.length}`)
      for (const [url, body] of html) {
        assert.doesNotMatch(body, /(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])/, `an ID number in ${url}`)
        assert.doesNotMatch(body, /(?<![0-9])1[3-9][0-9]{9}(?![0-9])/, `a phone number in ${url}`)
      }

      // The A4 sheet through the browser's print: a PDF, then PNG pages for a person to look at.
      const dir = join(artifacts, 'gongshi-print')
      mkdirSync(dir, { recursive: true })
      await page.emulateMedia({ media: 'print' })
      const pdf = await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true })
      writeFileSync(join(dir, 'notice.pdf'), pdf)
      await page.goto(`${county.url}/gongshi/r/${code}/print`)
      writeFileSync(join(dir, 'village.pdf'), await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true }))
      for (const f of ['notice', 'village']) {
        execFileSync('pdftoppm', ['-png', '-r', '100', join(dir, `${f}.pdf`), join(dir, f)])
      }
      const pngs = readdirSync(dir).filter((f) => f.endsWith('.png'))
      assert.ok(pngs.some((f) => f.startsWith('notice')) && pngs.some((f) => f.startsWith('village')), `PNG pages: ${pngs}`)
      const info = execFileSync('pdfinfo', [join(dir, 'notice.pdf')], { encoding: 'utf8' })
      assert.match(info, /Page size:\s+59[45](\.\d+)? x 84[12](\.\d+)? pts \(A4\)/, info)
    } finally {
      await context.close()
    }
  })
})
