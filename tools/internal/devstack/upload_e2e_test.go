package devstack_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"fupin.dev/gateway"
	"fupin.dev/tools/internal/devstack"
)

// TestLedgerUploadOverREST uploads ledger files as the portal's 导入 page does: the file as the body of
// POST /v1/imports:upload, through the gateway into identification's UploadLedger, then the record read
// by the upload's request id; with a bearer token and with a signed-in browser's cookie and CSRF token.
func TestLedgerUploadOverREST(t *testing.T) {
	stack := startStack(t, devstack.Options{DemoHouseholds: 20, Logger: slog.New(slog.DiscardHandler)})
	c := &client{t: t, base: stack.GatewayURL, stack: stack}
	admin := c.token("rural_revitalization", "county_admin", "")
	const header = "户编号,行政区划代码,家庭住址,姓名,身份证号,与户主关系,民族,文化程度,健康状况,劳动技能,户类型,脱贫年度"
	bad := idNumber("19710101", 61)
	bad = bad[:17] + wrongCheck(bad)
	csv := []byte(strings.Join([]string{header,
		"UPL-1,990001002003,一组,王大山," + idNumber("19650304", 61) + ",户主,汉族,小学,长期慢性病,普通劳动力,已脱贫,2018",
		"UPL-1,,,李秀英," + idNumber("19680512", 62) + ",配偶,汉族,初中,健康,普通劳动力,,",
		"UPL-2,990001002003,二组,赵小川," + bad + ",户主,汉族,小学,健康,普通劳动力,一般户,",
	}, "\n") + "\n")
	upload := func(t *testing.T, q url.Values, body []byte, hdr http.Header) (int, map[string]any) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, stack.GatewayURL+"/v1/imports:upload?"+q.Encode(), bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = hdr
		req.Header.Set("Content-Type", "text/csv")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("HTTP %d %s", resp.StatusCode, raw)
		}
		return resp.StatusCode, m
	}
	bearer := http.Header{"Authorization": {"Bearer " + admin}}
	records := func(t *testing.T, requestID string) []any {
		t.Helper()
		code, body := c.do(t, http.MethodGet, "/v1/imports?request_id="+requestID, admin, nil)
		expect(t, code, body, http.StatusOK, "")
		list, _ := decode(t, body)["imports"].([]any)
		return list
	}

	t.Run("a dry run reports the bad row and writes nothing", func(t *testing.T) {
		code, resp := upload(t, url.Values{"file_name": {"红桥村.csv"}, "dry_run": {"true"}, "request_id": {"dry-1"}}, csv, bearer.Clone())
		if code != http.StatusOK {
			t.Fatalf("HTTP %d %v", code, resp)
		}
		sum := resp["summary"].(map[string]any)
		issues := resp["issues"].([]any)
		if sum["households_imported"] != "1" || sum["households_rejected"] != "1" || sum["import"] != "" || len(issues) != 1 ||
			issues[0].(map[string]any)["row"] != "4" || issues[0].(map[string]any)["column"] != "身份证号" ||
			issues[0].(map[string]any)["reason"] != "ID_NUMBER_INVALID" {
			t.Errorf("answer %v", resp)
		}
		if list := records(t, "dry-1"); len(list) != 0 {
			t.Errorf("a dry run kept a record: %v", list)
		}
		code, body := c.do(t, http.MethodPost, "/v1/households:lookup", admin, map[string]any{"id_number": idNumber("19650304", 61)})
		expect(t, code, body, http.StatusNotFound, "NOT_FOUND")
	})

	t.Run("the import writes the good household; its record is found by the request id", func(t *testing.T) {
		code, resp := upload(t, url.Values{"file_name": {"红桥村.csv"}, "request_id": {"real-1"}}, csv, bearer.Clone())
		if code != http.StatusOK {
			t.Fatalf("HTTP %d %v", code, resp)
		}
		sum := resp["summary"].(map[string]any)
		if sum["households_imported"] != "1" || sum["persons_imported"] != "2" || !strings.HasPrefix(sum["import"].(string), "imports/") {
			t.Errorf("summary %v", sum)
		}
		list := records(t, "real-1")
		if len(list) != 1 {
			t.Fatalf("records %v", list)
		}
		rec := list[0].(map[string]any)
		if rec["name"] != sum["import"] || rec["state"] != "IMPORT_STATE_DONE" || rec["size_bytes"] != fmt.Sprint(len(csv)) ||
			rec["bytes_read"] != fmt.Sprint(len(csv)) || rec["source"] != "红桥村.csv" {
			t.Errorf("record %v", rec)
		}
		code, body := c.do(t, http.MethodGet, "/v1/"+sum["import"].(string), admin, nil)
		expect(t, code, body, http.StatusOK, "")
		code, body = c.do(t, http.MethodPost, "/v1/households:lookup", admin, map[string]any{"id_number": idNumber("19650304", 61)})
		expect(t, code, body, http.StatusOK, "")
	})

	t.Run("a header without 身份证号 is refused as AIP-193 with the column", func(t *testing.T) {
		broken := []byte(strings.Replace(string(csv), "身份证号", "证件号", 1))
		code, resp := upload(t, url.Values{"file_name": {"坏.csv"}}, broken, bearer.Clone())
		e, _ := resp["error"].(map[string]any)
		if code != http.StatusBadRequest || e["status"] != "INVALID_ARGUMENT" || !strings.Contains(fmt.Sprint(e["details"]), "IMPORT_HEADER_INVALID") {
			t.Errorf("HTTP %d %v", code, resp)
		}
	})

	t.Run("a file over the cap is refused with 413 before its body is read", func(t *testing.T) {
		conn, err := net.Dial("tcp", strings.TrimPrefix(stack.GatewayURL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		// 300 MiB announced: the answer comes after the first few hundred KiB (net/http reads up to 256 KiB of
		// an unread body before it answers, so the client sees the answer), not after 300 MiB.
		fmt.Fprintf(conn, "POST /v1/imports:upload?file_name=big.csv HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"+
			"Content-Length: %d\r\n\r\n", admin, 300<<20)
		go func() {
			chunk := bytes.Repeat([]byte("a"), 64<<10)
			for range 16 { // 1 MiB at most
				if _, err := conn.Write(chunk); err != nil {
					return
				}
			}
		}()
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(raw), "REQUEST_TOO_LARGE") {
			t.Errorf("HTTP %d %s", resp.StatusCode, raw)
		}
	})

	t.Run("the portal's upload: the session cookie with the CSRF token; without it refused", func(t *testing.T) {
		b := newBrowser(t, stack.GatewayURL, nil)
		b.signIn("/imports", "rural_revitalization.county_admin")
		send := func(csrf string) *http.Response {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost,
				stack.GatewayURL+"/v1/imports:upload?file_name=a.csv&dry_run=true", bytes.NewReader(csv))
			if err != nil {
				t.Fatal(err)
			}
			if csrf != "" {
				req.Header.Set(gateway.CSRFHeader, csrf)
			}
			return b.send(req)
		}
		if resp := send(""); resp.StatusCode != http.StatusForbidden || !strings.Contains(b.body, "CSRF_TOKEN_MISMATCH") {
			t.Errorf("without the CSRF token: HTTP %d %s", resp.StatusCode, b.body)
		}
		if resp := send(b.me()["csrf_token"].(string)); resp.StatusCode != http.StatusOK || !strings.Contains(b.body, "ID_NUMBER_INVALID") {
			t.Errorf("with the CSRF token: HTTP %d %s", resp.StatusCode, b.body)
		}
	})
}
