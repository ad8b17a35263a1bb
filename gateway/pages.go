package gateway

import (
	"bytes"
	"html/template"
	"net/http"
)

// page is what a sign-in page tells a person, in Chinese and in English: where sign-in cannot go on, the
// browser shows this instead of a blank page or a raw error.
type page struct {
	Title, Text     string // Chinese
	TitleEn, TextEn string
}

// The sign-in pages.
var (
	pageProviderDown = page{
		Title:   "统一身份认证服务暂时无法访问",
		Text:    "登录需要县统一身份认证服务，目前无法连接。请稍后再试；如果一直如此，请联系系统管理员。已登录的用户和接口调用不受影响。",
		TitleEn: "The sign-in service cannot be reached",
		TextEn:  "Signing in needs the county's identity provider, which does not answer now. Try again in a moment; if it persists, call the system administrator. People already signed in and API clients are not affected.",
	}
	pageMisconfigured = page{
		Title:   "统一身份认证服务配置有误",
		Text:    "身份认证服务返回的登录凭据无法通过校验。请联系系统管理员检查网关与认证服务的配置。",
		TitleEn: "The sign-in service is misconfigured",
		TextEn:  "The identity provider's answer did not verify. Ask the system administrator to check the gateway's and the provider's configuration.",
	}
	pageUnavailable = page{
		Title:   "登录服务暂时不可用",
		Text:    "网关暂时无法保存登录状态。请稍后再试；如果一直如此，请联系系统管理员。",
		TitleEn: "Sign-in is unavailable",
		TextEn:  "The gateway cannot keep sessions at the moment. Try again in a moment; if it persists, call the system administrator.",
	}
	pageStale = page{
		Title:   "登录请求已失效",
		Text:    "这次登录不是从本浏览器发起的，已经用过，或已超过 10 分钟。请重新登录。如果反复出现，请确认浏览器允许本站点使用 Cookie。",
		TitleEn: "This sign-in has expired",
		TextEn:  "This sign-in was not started in this browser, was used already, or is more than 10 minutes old. Sign in again. If it keeps happening, make sure the browser accepts cookies from this site.",
	}
	pageRefused = page{
		Title:   "登录未完成",
		Text:    "统一身份认证服务没有完成登录（已取消或被拒绝）。",
		TitleEn: "Sign-in was not completed",
		TextEn:  "The identity provider did not complete the sign-in (cancelled or refused).",
	}
	pageNoRole = page{
		Title:   "账号尚未开通本平台权限",
		Text:    "您的账号在统一身份认证中没有本平台所需的部门、角色或管辖区域，或其设置有误。请联系本部门的系统管理员开通。",
		TitleEn: "Your account has no access to this platform",
		TextEn:  "Your account at the identity provider has no department, role or region for this platform, or they are wrong. Ask your department's administrator to set them.",
	}
	pageBadNext = page{
		Title:   "无效的跳转地址",
		Text:    "登录后只能回到本站点的页面。",
		TitleEn: "Invalid return address",
		TextEn:  "After sign-in the browser can only return to a page of this site.",
	}
)

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} / {{.TitleEn}}</title>
<style>body{font-family:sans-serif;max-width:40em;margin:3em auto;padding:0 1em;line-height:1.6;color:#303133}
h1{font-size:1.4em}a.button{display:inline-block;margin-top:1em;padding:.5em 1.2em;background:#409eff;color:#fff;text-decoration:none;border-radius:4px}
.detail{color:#606266;font-size:.9em}</style>
</head>
<body>
<main>
<h1>{{.Title}}</h1>
<p>{{.Text}}</p>
<h1 lang="en">{{.TitleEn}}</h1>
<p lang="en">{{.TextEn}}</p>
{{if .Detail}}<p class="detail" lang="en">{{.Detail}}</p>{{end}}
{{if .Retry}}<a class="button" href="{{.Retry}}">重新登录 / Sign in again</a>{{end}}
</main>
</body>
</html>
`))

// writePage writes a sign-in page with the HTTP status, a link to retry (when not "") and a detail for
// the person (what is wrong with their account's claims; never a secret).
func writePage(w http.ResponseWriter, status int, p page, retry string, detail ...string) {
	var buf bytes.Buffer
	data := struct {
		page
		Retry, Detail string
	}{page: p, Retry: retry}
	if len(detail) > 0 {
		data.Detail = detail[0]
	}
	_ = pageTemplate.Execute(&buf, data)
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
