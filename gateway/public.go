package gateway

import (
	"cmp"
	"context"
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	"fupin.dev/services/platform/regionset"
)

// The public notice pages (公示) at /gongshi: server-rendered HTML (html/template, embedded; no JavaScript),
// readable on an old phone and printable on A4 for the village board. They call the posting services'
// public methods (fupin.common.v1.PublicNoticeService) over gRPC with no token, like the REST routes call
// the rest; the gateway links no service code. Every page is rate limited per client (ratelimit.go); lists
// and notices are cacheable for a minute, the objection form (one-time human check) and the tracking page
// are not. Nothing on them is more than a notice shows: the services answer nothing else.

// publicPath is where the public pages live.
const publicPath = "/gongshi"

//go:embed public/*.html
var publicFiles embed.FS

var publicTemplates = template.Must(template.ParseFS(publicFiles, "public/*.html"))

// publicCacheSeconds is how long lists and notices may be cached (Cache-Control).
const publicCacheSeconds = 60

// publicFormBytes caps an objection form's body: 2,000 characters of text and a few fields.
const publicFormBytes = 16 << 10

// noticeService is one service whose notices the pages show.
type noticeService struct {
	name   string
	client commonv1.PublicNoticeServiceClient
}

// noticePages serves /gongshi.
type noticePages struct {
	services   []noticeService
	regions    *regionset.Set
	reads      *rateLimiter
	objections *rateLimiter
	limits     PublicLimits
	logger     *slog.Logger
}

func newNoticePages(conns []dialed, known map[string]service, regions *regionset.Set, l PublicLimits, logger *slog.Logger) *noticePages {
	p := &noticePages{regions: regions, limits: l, logger: logger,
		reads:      newRateLimiter(l.ReadsPerMinute, time.Minute, time.Now),
		objections: newRateLimiter(l.ObjectionsPerHour, time.Hour, time.Now)}
	for _, c := range conns {
		if known[c.name].notices {
			p.services = append(p.services, noticeService{name: c.name, client: commonv1.NewPublicNoticeServiceClient(c.conn)})
		}
	}
	return p
}

var (
	regionPathRE = regexp.MustCompile(`^/gongshi/r/([0-9]{9}|[0-9]{12})(/print)?$`)
	noticePathRE = regexp.MustCompile(`^/gongshi/n/([a-z]{1,30})/([0-9a-z]{1,40})(/objection)?$`)
)

// crumb is one link of the pages' navigation.
type crumb struct{ URL, Name string }

// noticePage is what every template gets besides its own data.
type noticePage struct {
	Title  string
	Crumbs []crumb
}

func (p *noticePages) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x := exchangeFrom(r.Context())
	path := strings.TrimSuffix(r.URL.Path, "/")
	objection := strings.HasSuffix(path, "/objection")
	limiter := p.reads
	if objection {
		limiter = p.objections
	}
	route := func(name string) {
		if x != nil {
			x.route = r.Method + " " + name
		}
	}
	route(publicPath + "/…")
	if wait := limiter.allow(clientOf(r, p.limits.TrustedProxies)); wait > 0 {
		p.tooMany(w, r, wait)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead && !(objection && r.Method == http.MethodPost) {
		w.Header().Set("Allow", "GET, HEAD")
		p.message(w, r, http.StatusMethodNotAllowed, "不支持的请求", "请用浏览器打开本页。")
		return
	}
	switch {
	case path == publicPath:
		route(publicPath)
		p.index(w, r)
	case path == publicPath+"/track":
		route(publicPath + "/track")
		p.track(w, r)
	case regionPathRE.MatchString(path):
		m := regionPathRE.FindStringSubmatch(path)
		if m[2] != "" {
			route(publicPath + "/r/{village}/print")
			p.print(w, r, m[1])
			return
		}
		route(publicPath + "/r/{region}")
		p.region(w, r, m[1])
	case noticePathRE.MatchString(path):
		m := noticePathRE.FindStringSubmatch(path)
		if m[3] != "" {
			route(publicPath + "/n/{service}/{notice}/objection")
			p.objection(w, r, m[1], m[2])
			return
		}
		route(publicPath + "/n/{service}/{notice}")
		p.notice(w, r, m[1], m[2])
	default:
		p.message(w, r, http.StatusNotFound, "页面不存在", "请从公示公告首页进入。")
	}
}

func (p *noticePages) index(w http.ResponseWriter, r *http.Request) {
	p.render(w, r, http.StatusOK, true, "index.html", struct {
		noticePage
		Townships []regionset.Region
	}{noticePage{Title: "公示公告"}, p.regions.Within("", regionset.LevelTownship)})
}

// listed is a notice as a list shows it.
type listed struct {
	Service, ID string
	N           *commonv1.Notice
	State       string
}

// group is one village's notices.
type group struct {
	Code, Village string
	Notices       []listed
}

// list asks every posting service for the notices of a township or village (in parallel) and merges them
// by village, then start date.
func (p *noticePages) list(ctx context.Context, region string, state commonv1.NoticeState) ([]listed, error) {
	var mu sync.Mutex
	var out []listed
	var wg sync.WaitGroup
	errs := make([]error, len(p.services))
	for i, s := range p.services {
		wg.Go(func() {
			req := &commonv1.ListNoticesRequest{RegionCode: region, State: state, PageSize: 1000}
			for {
				resp, err := s.client.ListNotices(ctx, req)
				if err != nil {
					errs[i] = err
					return
				}
				mu.Lock()
				for _, n := range resp.GetNotices() {
					out = append(out, listed{Service: s.name, ID: strings.TrimPrefix(n.GetName(), "notices/"), N: n, State: stateText(n)})
				}
				mu.Unlock()
				if resp.GetNextPageToken() == "" {
					return
				}
				req.PageToken = resp.GetNextPageToken()
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b listed) int {
		return cmp.Or(strings.Compare(a.N.GetRegionCode(), b.N.GetRegionCode()), strings.Compare(a.N.GetStartDate(), b.N.GetStartDate()),
			strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

func stateText(n *commonv1.Notice) string {
	switch n.GetState() {
	case commonv1.NoticeState_NOTICE_STATE_IN_PROGRESS:
		if n.GetDaysRemaining() > 0 {
			return "公示中（剩余 " + strconv.Itoa(int(n.GetDaysRemaining())) + " 天）"
		}
		return "公示期满，待办结"
	case commonv1.NoticeState_NOTICE_STATE_COMPLETED:
		return "公示结束（" + n.GetEndedDate() + "）"
	}
	return "公示中止（" + n.GetEndedDate() + "）"
}

// regionName is a region's name, or its code when the master data does not say.
func (p *noticePages) regionName(code string) string {
	if r, ok := p.regions.Region(code); ok && r.Name != "" {
		return r.Name
	}
	return code
}

func (p *noticePages) crumbs(code string) []crumb {
	var out []crumb
	if len(code) >= 9 {
		out = append(out, crumb{URL: publicPath + "/r/" + code[:9], Name: p.regionName(code[:9])})
	}
	if len(code) == 12 {
		out = append(out, crumb{URL: publicPath + "/r/" + code, Name: p.regionName(code)})
	}
	return out
}

func (p *noticePages) region(w http.ResponseWriter, r *http.Request, code string) {
	if _, ok := p.regions.Region(code); !ok {
		p.message(w, r, http.StatusNotFound, "没有这个乡镇或村", "请从公示公告首页进入。")
		return
	}
	ns, err := p.list(r.Context(), code, commonv1.NoticeState_NOTICE_STATE_UNSPECIFIED)
	if err != nil {
		p.failed(w, r, err)
		return
	}
	var groups []group
	for _, n := range ns {
		if len(groups) == 0 || groups[len(groups)-1].Code != n.N.GetRegionCode() {
			groups = append(groups, group{Code: n.N.GetRegionCode(), Village: p.regionName(n.N.GetRegionCode())})
		}
		g := &groups[len(groups)-1]
		g.Notices = append(g.Notices, n)
	}
	var villages []regionset.Region
	if len(code) == 9 {
		villages = p.regions.Within(code, regionset.LevelVillage)
	}
	p.render(w, r, http.StatusOK, true, "region.html", struct {
		noticePage
		Groups   []group
		Villages []regionset.Region
	}{noticePage{Title: p.regionName(code), Crumbs: p.crumbs(code)}, groups, villages})
}

// sheet is one notice as printed.
type sheet struct {
	N       *commonv1.Notice
	Village string
	State   string
}

func (p *noticePages) sheetOf(n *commonv1.Notice) sheet {
	return sheet{N: n, Village: p.regionName(n.GetRegionCode()), State: stateText(n)}
}

func (p *noticePages) print(w http.ResponseWriter, r *http.Request, village string) {
	if len(village) != 12 {
		p.message(w, r, http.StatusNotFound, "请选择村", "按村打印。")
		return
	}
	ns, err := p.list(r.Context(), village, commonv1.NoticeState_NOTICE_STATE_IN_PROGRESS)
	if err != nil {
		p.failed(w, r, err)
		return
	}
	sheets := make([]sheet, 0, len(ns))
	for _, n := range ns {
		sheets = append(sheets, p.sheetOf(n.N))
	}
	p.render(w, r, http.StatusOK, true, "print.html", struct {
		noticePage
		Sheets []sheet
	}{noticePage{Title: p.regionName(village), Crumbs: p.crumbs(village)}, sheets})
}

// serviceNamed is the posting service a notice's address names.
func (p *noticePages) serviceNamed(name string) (noticeService, bool) {
	for _, s := range p.services {
		if s.name == name {
			return s, true
		}
	}
	return noticeService{}, false
}

// noticeData is what the notice and objection pages get.
type noticeData struct {
	noticePage
	Service, ID string
	Sheet       sheet
	Open        bool
	Challenge   *commonv1.ObjectionChallenge
	Receipt     *commonv1.ObjectionReceipt
	Error       string
	Content     string
}

func (p *noticePages) getNotice(w http.ResponseWriter, r *http.Request, service, id string) (noticeService, *noticeData, bool) {
	s, ok := p.serviceNamed(service)
	if !ok {
		p.message(w, r, http.StatusNotFound, "公示不存在", "该公示不存在或已超过展示期限。")
		return s, nil, false
	}
	n, err := s.client.GetNotice(r.Context(), &commonv1.GetNoticeRequest{Name: "notices/" + id})
	if err != nil {
		p.failed(w, r, err)
		return s, nil, false
	}
	return s, &noticeData{noticePage: noticePage{Title: n.GetTitle(), Crumbs: p.crumbs(n.GetRegionCode())}, Service: service, ID: id,
		Sheet: p.sheetOf(n), Open: n.GetState() == commonv1.NoticeState_NOTICE_STATE_IN_PROGRESS}, true
}

func (p *noticePages) notice(w http.ResponseWriter, r *http.Request, service, id string) {
	if _, d, ok := p.getNotice(w, r, service, id); ok {
		p.render(w, r, http.StatusOK, true, "notice.html", d)
	}
}

// objection shows the objection form (GET) or receives one (POST).
func (p *noticePages) objection(w http.ResponseWriter, r *http.Request, service, id string) {
	s, d, ok := p.getNotice(w, r, service, id)
	if !ok {
		return
	}
	httpStatus := http.StatusOK
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, publicFormBytes)
		if err := r.ParseForm(); err != nil {
			p.message(w, r, http.StatusRequestEntityTooLarge, "内容过长", "异议内容请控制在 2000 字以内。")
			return
		}
		d.Content = r.PostForm.Get("content")
		receipt, err := s.client.SubmitObjection(r.Context(), &commonv1.SubmitObjectionRequest{Notice: "notices/" + id,
			ObjectorName: r.PostForm.Get("name"), Phone: r.PostForm.Get("phone"), Content: d.Content,
			ChallengeToken: r.PostForm.Get("token"), ChallengeAnswer: r.PostForm.Get("answer")})
		switch {
		case err == nil:
			d.Receipt = receipt
		case status.Code(err) == codes.InvalidArgument:
			d.Error, httpStatus = formError(err), http.StatusUnprocessableEntity
		default:
			p.failed(w, r, err)
			return
		}
	}
	if d.Receipt == nil && d.Open {
		c, err := s.client.GetObjectionChallenge(r.Context(), &commonv1.GetObjectionChallengeRequest{Notice: "notices/" + id})
		if err != nil {
			p.failed(w, r, err)
			return
		}
		d.Challenge = c
	}
	if !d.Open && d.Receipt == nil && d.Error == "" {
		d.Error = "该公示已结束，不再受理网上异议。如有问题请拨打监督举报电话 " + d.Sheet.N.GetHotline() + "。"
	}
	p.render(w, r, httpStatus, false, "objection.html", d)
}

// formError says in the page's words what was wrong with the form.
func formError(err error) string {
	st, _ := status.FromError(err)
	for _, det := range st.Details() {
		if info, ok := det.(interface{ GetReason() string }); ok {
			switch info.GetReason() {
			case "OBJECTION_CHALLENGE_FAILED":
				return "验证题答案不正确或已失效，请重新计算后提交。"
			case "PERSON_NAME_INVALID":
				return "姓名格式不正确。"
			}
		}
	}
	if strings.Contains(st.Message(), "phone") {
		return "联系电话格式不正确（手机号 11 位，或带区号的固定电话）。"
	}
	return "请填写异议内容（2000 字以内）。"
}

func (p *noticePages) track(w http.ResponseWriter, r *http.Request) {
	no := strings.TrimSpace(r.URL.Query().Get("no"))
	data := struct {
		noticePage
		No, Error, StateText string
		Status               *commonv1.ObjectionStatus
	}{noticePage: noticePage{Title: "异议查询"}, No: no}
	if no != "" {
		if len(no) > 40 {
			no = no[:40]
		}
		for _, s := range p.services {
			st, err := s.client.GetObjectionStatus(r.Context(), &commonv1.GetObjectionStatusRequest{TrackingNumber: no})
			if status.Code(err) == codes.NotFound {
				continue
			}
			if err != nil {
				p.failed(w, r, err)
				return
			}
			data.Status = st
			break
		}
		if data.Status == nil {
			data.Error = "没有找到这个查询码，请核对后再试。"
		} else {
			data.StateText = map[commonv1.ReceivedObjectionState]string{
				commonv1.ReceivedObjectionState_RECEIVED_OBJECTION_STATE_RECEIVED:  "已收到，待工作人员处理",
				commonv1.ReceivedObjectionState_RECEIVED_OBJECTION_STATE_ACCEPTED:  "已受理，公示中止并重新核实",
				commonv1.ReceivedObjectionState_RECEIVED_OBJECTION_STATE_DISMISSED: "不予受理",
			}[data.Status.GetState()]
		}
	}
	p.render(w, r, http.StatusOK, false, "track.html", data)
}

// render writes a page: cacheable for a minute when it is the same for everyone at that minute, else never
// stored.
func (p *noticePages) render(w http.ResponseWriter, r *http.Request, code int, cacheable bool, name string, data any) {
	var b strings.Builder
	if err := publicTemplates.ExecuteTemplate(&b, name, data); err != nil {
		p.logger.ErrorContext(r.Context(), "public page", "template", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	if cacheable {
		h.Set("Cache-Control", "public, max-age="+strconv.Itoa(publicCacheSeconds))
	} else {
		h.Set("Cache-Control", "no-store")
	}
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(b.String()))
	}
}

func (p *noticePages) message(w http.ResponseWriter, r *http.Request, code int, title, msg string) {
	p.render(w, r, code, false, "message.html", struct {
		noticePage
		Message string
	}{noticePage{Title: title}, msg})
}

// tooMany answers a client over its rate: 429 with Retry-After in whole seconds.
func (p *noticePages) tooMany(w http.ResponseWriter, r *http.Request, wait time.Duration) {
	noteCode(r.Context(), codes.ResourceExhausted)
	w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
	p.message(w, r, http.StatusTooManyRequests, "访问过于频繁", "请稍后再试。")
}

// failed answers a service's refusal or failure as a page, never with the service's message.
func (p *noticePages) failed(w http.ResponseWriter, r *http.Request, err error) {
	code := status.Code(err)
	noteCode(r.Context(), code)
	switch code {
	case codes.NotFound, codes.InvalidArgument:
		p.message(w, r, http.StatusNotFound, "公示不存在", "该公示不存在或已超过展示期限。")
	case codes.FailedPrecondition:
		p.message(w, r, http.StatusConflict, "公示已结束", "该公示已结束，不再受理网上异议。")
	case codes.ResourceExhausted:
		p.message(w, r, http.StatusTooManyRequests, "今日异议已达上限", "本公示今日收到的网上异议已达上限，请拨打监督举报电话或明日再试。")
	default:
		p.logger.ErrorContext(r.Context(), "public page", "code", code.String(), "err", err)
		p.message(w, r, http.StatusBadGateway, "暂时无法显示", "请稍后再试。")
	}
}
