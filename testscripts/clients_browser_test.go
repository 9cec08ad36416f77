package testscripts

// Headless Chromium and Firefox ESR against the stages: load the index,
// follow a link, open an image, list a folder, submit the food form, and
// check what the browser rendered. On final, also: the index and its
// stylesheet arrive in gzip, and a reload revalidates with the ETag.
//
// The two browsers are driven differently, each the simplest way that is
// robust with nothing but the standard library:
//
//   - Chromium from its command line: --dump-dom prints the DOM once the page
//     has loaded, --screenshot saves a PNG. A click or a form submission
//     needs a script in the page, so the server serves a copy of web/ with
//     extra pages: web/index.html or web/form.html plus a script that, on
//     load, clicks the link or fills in the form and clicks Submit.
//     --virtual-time-budget keeps Chromium going until that navigation has
//     finished, so the DOM printed is the page the click led to. (The
//     DevTools protocol could click for us, but it speaks WebSocket.)
//   - Firefox through Marionette, its built-in remote control (what
//     geckodriver talks to): JSON messages over a plain TCP connection, a
//     few lines of Go. It types into the real form, clicks the real
//     buttons, reads the page back with a script and takes screenshots.
//     (firefox --screenshot alone shoots the first page at its load event,
//     before a form submitted on load has come back.)
//
// Both start with a fresh profile and background networking off: the CI
// machine has no internet, and a browser that tries to reach it wastes
// time and muddles the server's log.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Patterns for the server's console: the requests a browser made.
func requestRE(method, target string, status string) string {
	return `"` + method + ` ` + regexp.QuoteMeta(target) + ` HTTP/1\.1" ` + status
}

// ---- Chromium ----

// chromiumArgs: headless, as root in a container (no sandbox, no GPU), and
// nothing that phones home.
var chromiumArgs = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
	"--disable-quic", "--no-first-run", "--no-default-browser-check",
	"--disable-background-networking", "--disable-component-update",
	"--disable-sync", "--disable-extensions", "--disable-default-apps",
	"--metrics-recording-only", "--mute-audio", "--hide-scrollbars",
	"--window-size=1000,700", "--virtual-time-budget=5000",
}

type chromium struct {
	t    *testing.T
	prog string
}

// run runs Chromium once with a fresh profile on url, with the extra args
// (--dump-dom, --screenshot=FILE). It returns stdout and stderr.
func (c chromium) run(url string, args ...string) (stdout, stderr string, err error) {
	c.t.Helper()
	profile, err := os.MkdirTemp("", "workbook-chromium-")
	if err != nil {
		c.t.Fatal(err)
	}
	defer os.RemoveAll(profile)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	argv := append(append(append([]string{}, chromiumArgs...), "--user-data-dir="+profile), args...)
	cmd := exec.CommandContext(ctx, c.prog, append(argv, url)...)
	cmd.Dir = profile
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	ownGroup(cmd) // on a timeout, kill the renderers and helpers too
	cmd.Cancel = func() error { killGroup(cmd); return nil }
	cmd.WaitDelay = 5 * time.Second
	err = cmd.Run()
	return out.String(), chromiumLog(errb.String()), err
}

// chromiumLog drops the noise of a browser without a desktop (D-Bus) from
// its stderr.
func chromiumLog(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, "dbus") || strings.Contains(l, "unexpected operator") || strings.TrimSpace(l) == "" {
			continue
		}
		keep = append(keep, l)
	}
	return strings.Join(keep, "\n")
}

// dom is `chromium --dump-dom URL`, and checks that it contains each of want.
func (c chromium) dom(url string, want ...string) string {
	c.t.Helper()
	out, errs, err := c.run(url, "--dump-dom")
	for _, w := range want {
		if err != nil || !strings.Contains(out, w) {
			c.t.Errorf("chromium --dump-dom %s: the DOM should contain %q\n  error: %v\n  DOM: %s\n  stderr:\n%s", url, w, err, clCut(out, 1500), clIndent(clLastN(errs, 15)))
			break
		}
	}
	return out
}

// screenshot is `chromium --screenshot=FILE URL`, checked for being a page.
func (c chromium) screenshot(url, file string) {
	c.t.Helper()
	_, errs, err := c.run(url, "--screenshot="+file)
	b, rerr := os.ReadFile(file)
	if err != nil || rerr != nil {
		c.t.Errorf("chromium --screenshot %s: no screenshot: %v %v\n  stderr:\n%s", url, err, rerr, clIndent(clLastN(errs, 15)))
		return
	}
	checkScreenshot(c.t, "chromium screenshot of "+url, b)
}

// clickOnLoad is a script for a copy of a page: on load, it clicks the
// element the CSS selector names.
func clickOnLoad(selector string) string {
	return `<script>addEventListener("load", function () { document.querySelector(` + strconv.Quote(selector) + `).click(); });</script>`
}

// fillOnLoad is a script for a copy of form.html: on load, it fills in the
// form with the given action and method and clicks its Submit button.
func fillOnLoad(action, method string) string {
	return `<script>addEventListener("load", function () {
  var f = document.querySelector('form[action="` + action + `"][method="` + method + `"]');
  f.elements.firstname.value = ` + strconv.Quote(formName) + `;
  f.elements.lastname.value = "Lovelace";
  f.elements.food.value = "Tacos";
  f.querySelector('input[type="submit"]').click();
});</script>`
}

// withScript is the page web/name with script added at the end of its body.
func withScript(t *testing.T, name, script string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "web", name))
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	i := strings.LastIndex(page, "</body>")
	if i < 0 {
		t.Fatalf("web/%s has no </body>", name)
	}
	return page[:i] + script + "\n" + page[i:]
}

func chromiumStage(t *testing.T, prog string, s clientStage) {
	c := chromium{t, prog}
	cs := startStage(t, s)
	shots := t.TempDir()

	// The index, as DOM and as pixels.
	if !s.files() {
		c.dom(cs.url+"/", helloH1)
	} else {
		c.dom(cs.url+"/", "<h1>HTTP workbook sample site</h1>")
		cs.logged(t, "chromium, the index's stylesheet", requestRE("GET", "/style.css", "200"))
	}
	c.screenshot(cs.url+"/", filepath.Join(shots, "index.png"))
	if s.final() {
		chromiumGzip(t, c, cs)
	}
	if s.n == 4 {
		c.dom(cs.url+"/nope.html", "<h1>404 Not Found</h1>")
	}
	if !s.files() {
		return
	}

	// Follow a link from the index: a copy of index.html that clicks it.
	cs.addPage(t, "_follow.html", withScript(t, "index.html", clickOnLoad(`a[href="a_web_page.html"]`)))
	c.dom(cs.url+"/_follow.html", "<h1>A web page</h1>")
	cs.logged(t, "chromium, the link's page", requestRE("GET", "/a_web_page.html", "200"))
	cs.logged(t, "chromium, the page's image", requestRE("GET", "/images/gopher.png", "200"))

	// Open the image itself. Chromium shows an image in a page of its own,
	// titled with its size, when the Content-Type says image/png. Until
	// stage 7 it says text/html, and the PNG's bytes show as text.
	if s.mime() {
		c.dom(cs.url+"/images/gopher.png", "<title>gopher.png (64×64)</title>")
	} else {
		c.dom(cs.url+"/images/gopher.png", "IHDR")
	}

	// A folder without index.html.
	if s.listing() {
		want := []string{"todo.txt", "drafts/"}
		if s.final() {
			want = []string{`<a href="todo.txt">todo.txt</a>`, `<a href="drafts/">drafts/</a>`}
		}
		c.dom(cs.url+"/notes/", want...)
	}

	// The food form, filled in and submitted by a copy of form.html.
	if s.form() {
		cs.addPage(t, "_get.html", withScript(t, "form.html", fillOnLoad("/form", "get")))
		c.dom(cs.url+"/_get.html", formAnswer)
		cs.logged(t, "chromium, the form with GET", requestRE("GET", "/form?"+formQuery, "200"))
		cs.addPage(t, "_post.html", withScript(t, "form.html", fillOnLoad("/form", "post")))
		c.dom(cs.url+"/_post.html", formAnswer)
		cs.logged(t, "chromium, the form with POST", requestRE("POST", "/form", "200"))
	}
	if s.final() {
		cs.addPage(t, "_cgi.html", withScript(t, "form.html", fillOnLoad("/cgi-bin/food.sh", "post")))
		c.dom(cs.url+"/_cgi.html", "<h1>Dinner plans</h1>", formAnswer)
		cs.logged(t, "chromium, the form to the CGI script", requestRE("POST", "/cgi-bin/food.sh", "200"))
		c.screenshot(cs.url+"/_cgi.html", filepath.Join(shots, "cgi.png"))
	}
}

// chromiumGzip: a copy of final's index, with a script that writes into
// the page what Resource Timing says of how it and style.css came: in
// gzip, fewer bytes than Chromium decoded.
func chromiumGzip(t *testing.T, c chromium, cs *clientServer) {
	script := `<script>addEventListener("load", function () { setTimeout(function () {
  var pre = document.createElement("pre"); pre.id = "sizes";
  pre.textContent = JSON.stringify((function () {` + transferSizes + `})());
  document.body.appendChild(pre);
}, 0); });</script>`
	cs.addPage(t, "_sizes.html", withScript(t, "index.html", script))
	dom := c.dom(cs.url+"/_sizes.html", `<pre id="sizes">`)
	var sizes bodySizes
	m := regexp.MustCompile(`<pre id="sizes">(.*?)</pre>`).FindStringSubmatch(dom)
	if m == nil || json.Unmarshal([]byte(m[1]), &sizes) != nil || !sizes.compressed() {
		t.Errorf("chromium --dump-dom %s: the page and style.css should arrive compressed; Resource Timing says %v (%q)", cs.url+"/_sizes.html", sizes, m)
	}
	cs.logged(t, "chromium, the compressed page", requestRE("GET", "/_sizes.html", "200"))
}

// chromiumStage2: Chromium refuses HTTP/0.9 on any port but 80.
func chromiumStage2(t *testing.T, prog string, s clientStage) []outcome {
	c := chromium{t, prog}
	cs := startStage(t, s)
	out, errs, err := c.run(cs.url+"/", "--dump-dom")
	const refusal = "ERR_INVALID_HTTP_RESPONSE"
	if !strings.Contains(errs, refusal) || strings.Contains(out, "Hello, web!") {
		t.Errorf("chromium --dump-dom %s: should refuse the page with %s\n  error: %v\n  DOM: %s\n  stderr:\n%s", cs.url, refusal, err, clCut(out, 600), clIndent(clLastN(errs, 15)))
		return nil
	}
	return []outcome{{"Chromium", "`" + refusal + "`"}}
}

// ---- Firefox ----

// firefoxPrefs turn off what Firefox would fetch from the internet on its
// own, for a fresh profile. Marionette adds its own "recommended"
// preferences, which turn off much of the rest.
const firefoxPrefs = `
user_pref("marionette.port", 0);
user_pref("app.update.enabled", false);
user_pref("app.update.auto", false);
user_pref("app.normandy.enabled", false);
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("browser.startup.page", 0);
user_pref("browser.startup.homepage_override.mstone", "ignore");
user_pref("browser.aboutwelcome.enabled", false);
user_pref("browser.newtabpage.enabled", false);
user_pref("browser.search.update", false);
user_pref("browser.region.update.enabled", false);
user_pref("browser.safebrowsing.malware.enabled", false);
user_pref("browser.safebrowsing.phishing.enabled", false);
user_pref("browser.safebrowsing.downloads.enabled", false);
user_pref("browser.safebrowsing.downloads.remote.enabled", false);
user_pref("browser.safebrowsing.blockedURIs.enabled", false);
user_pref("captivedetect.canonicalURL", "");
user_pref("network.captive-portal-service.enabled", false);
user_pref("network.connectivity-service.enabled", false);
user_pref("network.trr.mode", 5);
user_pref("datareporting.healthreport.uploadEnabled", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("toolkit.telemetry.enabled", false);
user_pref("toolkit.telemetry.unified", false);
user_pref("extensions.update.enabled", false);
user_pref("extensions.getAddons.cache.enabled", false);
user_pref("extensions.blocklist.enabled", false);
user_pref("media.gmp-manager.updateEnabled", false);
user_pref("services.settings.server", "data:,");
`

// A firefox is a headless Firefox under Marionette's remote control.
type firefox struct {
	t    *testing.T
	cmd  *exec.Cmd
	conn net.Conn
	r    *bufio.Reader
	id   int
}

func startFirefox(t *testing.T, prog string) *firefox {
	t.Helper()
	profile, err := os.MkdirTemp("", "workbook-firefox-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(profile, "user.js"), []byte(firefoxPrefs), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(prog, "--headless", "--marionette", "-remote-allow-system-access", "--no-remote", "-profile", profile, "about:blank")
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	cmd.Env = append(os.Environ(), "MOZ_CRASHREPORTER_DISABLE=1")
	ownGroup(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatalf("firefox: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	ff := &firefox{t: t, cmd: cmd}
	t.Cleanup(func() {
		if ff.conn != nil {
			ff.call("Marionette:Quit", map[string]any{"flags": []string{"eForceQuit"}})
			ff.conn.Close()
		}
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			killGroup(cmd)
			<-exited
		}
		os.RemoveAll(profile)
	})

	// Marionette writes the port it listens on (marionette.port 0: any
	// free one) to MarionetteActivePort in the profile.
	deadline := time.Now().Add(60 * time.Second)
	var port string
	for port == "" {
		b, _ := os.ReadFile(filepath.Join(profile, "MarionetteActivePort"))
		port = strings.TrimSpace(string(b))
		if port != "" {
			break
		}
		select {
		case <-exited:
			t.Fatalf("firefox exited before Marionette listened: %v\n%s", cmd.ProcessState, stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("firefox: Marionette did not start within 60 s\n%s", stderr.String())
		}
	}
	conn, err := net.Dial("tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatalf("firefox: Marionette on port %s: %v", port, err)
	}
	ff.conn, ff.r = conn, bufio.NewReader(conn)
	if _, err := ff.read(); err != nil { // {"applicationType":"gecko","marionetteProtocol":3}
		t.Fatalf("firefox: Marionette's greeting: %v", err)
	}
	caps := map[string]any{"alwaysMatch": map[string]any{
		"pageLoadStrategy": "normal",
		"timeouts":         map[string]any{"pageLoad": 20000, "script": 10000, "implicit": 0},
	}}
	if _, err := ff.call("WebDriver:NewSession", map[string]any{"capabilities": caps}); err != nil {
		t.Fatalf("firefox: %v", err)
	}
	if _, err := ff.call("WebDriver:SetWindowRect", map[string]any{"width": 1000, "height": 700}); err != nil {
		t.Fatalf("firefox: %v", err)
	}
	return ff
}

// read reads one Marionette message: its length in decimal, ":", the JSON.
func (ff *firefox) read() ([]byte, error) {
	n, err := ff.r.ReadString(':')
	if err != nil {
		return nil, err
	}
	size, err := strconv.Atoi(strings.TrimSuffix(n, ":"))
	if err != nil || size < 0 || size > 64<<20 {
		return nil, fmt.Errorf("bad Marionette message length %q", n)
	}
	b := make([]byte, size)
	_, err = io.ReadFull(ff.r, b)
	return b, err
}

// call sends the command [0, id, name, params] and returns the result of
// its answer [1, id, error, result].
func (ff *firefox) call(name string, params any) (json.RawMessage, error) {
	ff.id++
	msg, _ := json.Marshal([]any{0, ff.id, name, params})
	ff.conn.SetDeadline(time.Now().Add(30 * time.Second)) // more than the page load timeout
	if _, err := fmt.Fprintf(ff.conn, "%d:%s", len(msg), msg); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	for {
		b, err := ff.read()
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		var reply []json.RawMessage
		if err := json.Unmarshal(b, &reply); err != nil || len(reply) != 4 {
			return nil, fmt.Errorf("%s: bad reply %q", name, b)
		}
		var id int
		if json.Unmarshal(reply[1], &id); id != ff.id {
			continue
		}
		if string(reply[2]) != "null" {
			var e struct{ Error, Message string }
			json.Unmarshal(reply[2], &e)
			return nil, fmt.Errorf("%s: %s: %s", name, e.Error, e.Message)
		}
		return reply[3], nil
	}
}

// value is call for the commands whose result is {"value": ...}.
func (ff *firefox) value(name string, params, v any) error {
	raw, err := ff.call(name, params)
	if err != nil {
		return err
	}
	var wrap struct{ Value json.RawMessage }
	if err := json.Unmarshal(raw, &wrap); err != nil {
		return err
	}
	return json.Unmarshal(wrap.Value, v)
}

// A ffPage is what a script reads back from the page Firefox shows.
type ffPage struct {
	URL, Title, Type, H1, Text string
	Ready                      string // document.readyState: "complete" once loaded
	Images                     []int  // each image's natural width: 0 if it did not load
}

const readPage = `var h = document.querySelector("h1");
return {url: location.href, title: document.title, type: document.contentType, ready: document.readyState,
  h1: h ? h.textContent : "", text: document.body ? document.body.innerText : "",
  images: Array.from(document.images, function (i) { return i.complete ? i.naturalWidth : 0; })};`

func (ff *firefox) page() (ffPage, error) {
	var p ffPage
	err := ff.value("WebDriver:ExecuteScript", map[string]any{"script": readPage, "args": []any{}}, &p)
	return p, err
}

// navigate loads url and returns the page once loaded.
func (ff *firefox) navigate(url string) (ffPage, error) {
	if _, err := ff.call("WebDriver:Navigate", map[string]any{"url": url}); err != nil {
		return ffPage{}, err
	}
	return ff.page()
}

func (ff *firefox) find(css string) (string, error) {
	var el map[string]string
	if err := ff.value("WebDriver:FindElement", map[string]any{"using": "css selector", "value": css}, &el); err != nil {
		return "", err
	}
	for _, id := range el {
		return id, nil
	}
	return "", fmt.Errorf("no element %s", css)
}

func (ff *firefox) click(css string) error {
	id, err := ff.find(css)
	if err == nil {
		_, err = ff.call("WebDriver:ElementClick", map[string]any{"id": id})
	}
	return err
}

func (ff *firefox) typeInto(css, text string) error {
	id, err := ff.find(css)
	if err == nil {
		_, err = ff.call("WebDriver:ElementSendKeys", map[string]any{"id": id, "text": text})
	}
	return err
}

// waitFor polls the page until it has loaded and ok, for up to 15 s (a
// click returns when the navigation it started has begun, not always when
// it has ended).
func (ff *firefox) waitFor(ok func(ffPage) bool) (ffPage, error) {
	deadline := time.Now().Add(15 * time.Second)
	for {
		p, err := ff.page()
		if err == nil && p.Ready == "complete" && ok(p) {
			return p, nil
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = errors.New("timed out")
			}
			return p, err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// screenshot saves what the window shows as a PNG file, and checks it.
func (ff *firefox) screenshot(who, file string) {
	ff.t.Helper()
	var b64 string
	if err := ff.value("WebDriver:TakeScreenshot", map[string]any{"full": false}, &b64); err != nil {
		ff.t.Errorf("firefox: screenshot of %s: %v", who, err)
		return
	}
	b, err := base64.StdEncoding.DecodeString(b64)
	if err == nil {
		err = os.WriteFile(file, b, 0o644)
	}
	if err != nil {
		ff.t.Errorf("firefox: screenshot of %s: %v", who, err)
		return
	}
	checkScreenshot(ff.t, "firefox screenshot of "+who, b)
}

func firefoxStage(t *testing.T, prog string, s clientStage) {
	cs := startStage(t, s)
	ff := startFirefox(t, prog)
	shots := t.TempDir()
	failf := func(what string, p ffPage, err error, format string, args ...any) {
		t.Helper()
		t.Errorf("firefox, %s: %s\n  error: %v\n  page: url %q, title %q, Content-Type %q, h1 %q, images %v\n  text: %q",
			what, fmt.Sprintf(format, args...), err, p.URL, p.Title, p.Type, p.H1, p.Images, clCut(p.Text, 400))
	}

	// First, while the browser's cache is empty: gzip and revalidation.
	if s.final() {
		firefoxGzip(t, ff, cs, shots)
	}

	// The index.
	p, err := ff.navigate(cs.url + "/")
	wantH1 := "Hello, web!"
	if s.files() {
		wantH1 = "HTTP workbook sample site"
	}
	if err != nil || p.H1 != wantH1 || p.Type != "text/html" {
		failf("load "+cs.url+"/", p, err, "the page should show an h1 %q, as text/html", wantH1)
	}
	ff.screenshot(cs.url+"/", filepath.Join(shots, "index.png"))
	if s.n == 4 {
		if p, err := ff.navigate(cs.url + "/nope.html"); err != nil || p.H1 != "404 Not Found" {
			failf("load "+cs.url+"/nope.html", p, err, "the page should show the h1 \"404 Not Found\"")
		}
	}
	if !s.files() {
		return
	}

	// Follow a link from the index to a page with an image.
	if err := ff.click(`a[href="a_web_page.html"]`); err != nil {
		failf("click a_web_page.html on the index", p, err, "cannot click")
	} else {
		p, err := ff.waitFor(func(p ffPage) bool {
			return strings.HasSuffix(p.URL, "/a_web_page.html")
		})
		if err != nil || p.H1 != "A web page" || len(p.Images) != 1 || p.Images[0] != 64 {
			failf("click a_web_page.html on the index", p, err, "should show the page, h1 \"A web page\", and its 64-pixel gopher")
		}
	}

	// Open the image itself.
	p, err = ff.navigate(cs.url + "/images/gopher.png")
	if s.mime() {
		if err != nil || p.Type != "image/png" || len(p.Images) != 1 || p.Images[0] != 64 {
			failf("load "+cs.url+"/images/gopher.png", p, err, "should show the 64-pixel image, as image/png (a load that never ends is Firefox saving a download: look at the Content-Type)")
		}
	} else if err != nil || p.Type != "text/html" || !strings.Contains(p.Text, "PNG") {
		// Until stage 7 the image goes out as text/html: its bytes show as text.
		failf("load "+cs.url+"/images/gopher.png", p, err, "stages 5 and 6 send it as text/html: the browser should show the bytes as text")
	}

	// A folder without index.html; on final, an HTML page with links.
	if s.listing() {
		p, err := ff.navigate(cs.url + "/notes/")
		if err != nil || !strings.Contains(p.Text, "todo.txt") || !strings.Contains(p.Text, "drafts/") {
			failf("load "+cs.url+"/notes/", p, err, "the listing should name todo.txt and drafts/")
		}
		if s.final() {
			ff.screenshot("the listing of /notes/", filepath.Join(shots, "listing.png"))
			if err := ff.click(`a[href="todo.txt"]`); err != nil {
				failf("click todo.txt in /notes/", p, err, "the listing should link to its files")
			} else if p, err := ff.waitFor(func(p ffPage) bool { return strings.HasSuffix(p.URL, "/notes/todo.txt") }); err != nil || p.Type != "text/plain" || !strings.Contains(p.Text, "TODO") {
				failf("click todo.txt in /notes/", p, err, "should show the text file")
			}
		}
	}

	// The food form, typed in and submitted: GET and POST to /form, and on
	// final POST to the CGI script.
	if !s.form() {
		return
	}
	forms := []struct{ prefix, method, action, h1 string }{
		{"get", "GET", "/form", formText},
		{"post", "POST", "/form", formText},
	}
	if s.final() {
		forms = append(forms, struct{ prefix, method, action, h1 string }{"cgi", "POST", "/cgi-bin/food.sh", "Dinner plans"})
	}
	for _, f := range forms {
		what := "the food form, " + f.method + " " + f.action
		if p, err := ff.navigate(cs.url + "/form.html"); err != nil {
			failf(what, p, err, "cannot load /form.html")
			continue
		}
		err := ff.typeInto("#"+f.prefix+"-firstname", formName)
		if err == nil {
			err = ff.typeInto("#"+f.prefix+"-lastname", "Lovelace")
		}
		if err == nil {
			err = ff.click("#" + f.prefix + "-tacos")
		}
		if err == nil {
			err = ff.click(`form[action="` + f.action + `"][method="` + strings.ToLower(f.method) + `"] input[type="submit"]`)
		}
		if err != nil {
			failf(what, ffPage{}, err, "cannot fill in the form")
			continue
		}
		p, err := ff.waitFor(func(p ffPage) bool {
			return !strings.HasSuffix(p.URL, "/form.html")
		})
		if err != nil || p.H1 != f.h1 || !strings.Contains(p.Text, formText) {
			failf(what, p, err, "the answer should show %q (h1 %q)", formText, f.h1)
		}
		target := f.action
		if f.method == "GET" {
			target += "?" + formQuery
		}
		cs.logged(t, "firefox, "+what, requestRE(f.method, target, "200"))
		if f.prefix == "cgi" {
			ff.screenshot("the CGI script's answer", filepath.Join(shots, "form-result.png"))
		}
	}

	if s.final() {
		saveScreenshots(t, shots, "listing.png", "form-result.png")
	}
}

// transferSizes is what the browser's Resource Timing says of how the page
// and its stylesheet came: each its body's size as it came (encoded) and
// once decoded; [0, 0] for one it did not fetch.
const transferSizes = `var size = function (e) { return e ? [e.encodedBodySize, e.decodedBodySize] : [0, 0]; };
var css = performance.getEntriesByType("resource").filter(function (e) { return /\/style\.css(\?identity)?$/.test(e.name); });
return {page: size(performance.getEntriesByType("navigation")[0]), css: size(css[css.length - 1])};`

type bodySizes struct{ Page, CSS [2]int }

func (b bodySizes) compressed() bool {
	return b.Page[0] > 0 && b.Page[0] < b.Page[1] && b.CSS[0] > 0 && b.CSS[0] < b.CSS[1]
}

func (b bodySizes) plain() bool {
	return b.Page[0] > 0 && b.Page[0] == b.Page[1] && b.CSS[0] > 0 && b.CSS[0] == b.CSS[1]
}

func (b bodySizes) String() string {
	return fmt.Sprintf("page %d bytes came for %d decoded, style.css %d for %d", b.Page[0], b.Page[1], b.CSS[0], b.CSS[1])
}

// chrome runs a script in Firefox's privileged side, where its
// preferences and its cache are (Marionette's chrome context).
func (ff *firefox) chrome(script string) error {
	if _, err := ff.call("Marionette:SetContext", map[string]any{"value": "chrome"}); err != nil {
		return err
	}
	defer ff.call("Marionette:SetContext", map[string]any{"value": "content"})
	_, err := ff.call("WebDriver:ExecuteScript", map[string]any{"script": script, "args": []any{}})
	return err
}

// firefoxGzip: final's sample site, compressed. The index and its
// stylesheet arrive in gzip (the browser's Resource Timing: fewer bytes
// came than it decoded); a reload revalidates the index and gets 304; a
// change within the same second, which If-Modified-Since cannot see, is
// seen, so the tag decided (If-None-Match). Then the same page, asked
// for without gzip, looks the same, pixel for pixel.
func firefoxGzip(t *testing.T, ff *firefox, cs *clientServer, shots string) {
	index := filepath.Join(cs.root, "index.html")
	original, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second).Add(100 * time.Millisecond)
	setFile := func(content []byte, mtime time.Time) {
		if err := os.WriteFile(index, content, 0o644); err == nil {
			err = os.Chtimes(index, mtime, mtime)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	setFile(original, t0)
	fail := func(what string, err error, format string, args ...any) {
		t.Helper()
		t.Errorf("firefox, %s (%s): %s\n  error: %v", what, cs.url, fmt.Sprintf(format, args...), err)
	}

	var sizes bodySizes
	_, err = ff.navigate(cs.url + "/")
	if err == nil {
		err = ff.value("WebDriver:ExecuteScript", map[string]any{"script": transferSizes, "args": []any{}}, &sizes)
	}
	if err != nil || !sizes.compressed() {
		fail("load /", err, "the index and style.css should arrive compressed: %v", sizes)
	}
	gzipShot := filepath.Join(shots, "index-gzip.png")
	ff.screenshot("the index, compressed", gzipShot)

	if err := ff.reload(); err != nil {
		fail("reload /", err, "cannot reload")
	}
	cs.loggedTimes(t, "firefox, reload /: revalidated, 304", requestRE("GET", "/", "304"), 1)

	const marker = "Changed in the same second."
	setFile([]byte(strings.Replace(string(original), "</body>", "<p>"+marker+"</p>\n</body>", 1)), t0.Add(700*time.Millisecond))
	err = ff.reload()
	if p, werr := ff.waitFor(func(p ffPage) bool { return strings.Contains(p.Text, marker) }); err != nil || werr != nil {
		fail("reload / after a change within the same second", errors.Join(err, werr),
			"should show the new page: its ETag changed, its Last-Modified did not, so only If-None-Match sees it; shows %q", clCut(p.Text, 200))
	}

	// The same page without gzip: Firefox told to ask for none, its cache
	// emptied. The stylesheet under a new URL too: Firefox keeps the style
	// sheets a page used in a cache of their own, which cache2.clear does
	// not empty, and now and then took style.css from there, compressed.
	plain := strings.Replace(string(original), `href="style.css"`, `href="style.css?identity"`, 1)
	if plain == string(original) {
		t.Fatalf("%s: no <link href=\"style.css\"> to ask for under another URL", index)
	}
	setFile([]byte(plain), t0)
	err = ff.chrome(`Services.prefs.setStringPref("network.http.accept-encoding", "identity"); Services.prefs.setStringPref("network.http.accept-encoding.secure", "identity"); Services.cache2.clear();`)
	defer ff.chrome(`Services.prefs.clearUserPref("network.http.accept-encoding"); Services.prefs.clearUserPref("network.http.accept-encoding.secure"); Services.cache2.clear();`)
	if err == nil {
		_, err = ff.navigate(cs.url + "/?identity")
	}
	if err == nil {
		err = ff.value("WebDriver:ExecuteScript", map[string]any{"script": transferSizes, "args": []any{}}, &sizes)
	}
	if err != nil || !sizes.plain() {
		fail("load /?identity without Accept-Encoding: gzip", err, "the index and style.css should arrive as they are: %v", sizes)
		return
	}
	plainShot := filepath.Join(shots, "index-identity.png")
	ff.screenshot("the index, not compressed", plainShot)
	if n, err := differentPixels(gzipShot, plainShot); err != nil || n > 0 {
		t.Errorf("firefox: the index compressed and not should look the same: %d pixels differ (%v); see %s and %s", n, err, gzipShot, plainShot)
	}
}

// reload reloads the page as the reload button does, location.reload():
// the page is asked for again, with its validators if the browser has a
// copy. (Marionette's own WebDriver:Refresh asks for everything anew.)
func (ff *firefox) reload() error {
	var before float64
	if err := ff.value("WebDriver:ExecuteScript", map[string]any{"script": "return performance.timeOrigin;", "args": []any{}}, &before); err != nil {
		return err
	}
	if _, err := ff.call("WebDriver:ExecuteScript", map[string]any{"script": "setTimeout(function () { location.reload(); }, 0);", "args": []any{}}); err != nil {
		return err
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		var origin float64
		err := ff.value("WebDriver:ExecuteScript", map[string]any{"script": `return document.readyState == "complete" ? performance.timeOrigin : 0;`, "args": []any{}}, &origin)
		if err == nil && origin > before {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the page did not load again within 15 s (%v)", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// differentPixels counts the pixels in which two PNG files differ.
func differentPixels(a, b string) (int, error) {
	var imgs [2]image.Image
	for i, name := range []string{a, b} {
		f, err := os.Open(name)
		if err != nil {
			return 0, err
		}
		imgs[i], err = png.Decode(f)
		f.Close()
		if err != nil {
			return 0, err
		}
	}
	if imgs[0].Bounds() != imgs[1].Bounds() {
		return 0, fmt.Errorf("%v and %v pixels", imgs[0].Bounds(), imgs[1].Bounds())
	}
	n := 0
	bounds := imgs[0].Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			if imgs[0].At(x, y) != imgs[1].At(x, y) {
				n++
			}
		}
	}
	return n, nil
}

// firefoxStage2: unlike Chromium, Firefox falls back to HTTP/0.9 on any
// port, but shows the reply as plain text: no header said it was HTML.
func firefoxStage2(t *testing.T, prog string, s clientStage) []outcome {
	cs := startStage(t, s)
	ff := startFirefox(t, prog)
	p, err := ff.navigate(cs.url + "/")
	if err != nil || p.Type != "text/plain" || !strings.Contains(p.Text, helloH1) {
		t.Errorf("firefox, load %s: should show the reply's HTML source as text/plain (HTTP/0.9 fallback)\n  error: %v\n  page: url %q, Content-Type %q, h1 %q, text %q", cs.url+"/", err, p.URL, p.Type, p.H1, clCut(p.Text, 300))
		return nil
	}
	return []outcome{{"Firefox ESR", "shows the page's source as plain text"}}
}

// ---- screenshots ----

// checkScreenshot fails unless png is a PNG of a real page: at least
// 600x400 pixels, and not one colour (a blank page, an empty window).
func checkScreenshot(t *testing.T, who string, b []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Errorf("%s: not a PNG: %v", who, err)
		return
	}
	bounds := img.Bounds()
	if bounds.Dx() < 600 || bounds.Dy() < 400 {
		t.Errorf("%s: %dx%d pixels, expected a window of at least 600x400", who, bounds.Dx(), bounds.Dy())
		return
	}
	bg, other := dominant(img)
	if frac := float64(other) / float64(bounds.Dx()*bounds.Dy()); frac < 0.002 {
		t.Errorf("%s: a blank page: %.3f%% of the pixels differ from the background %v", who, 100*frac, bg)
	}
}

// dominant returns the most common colour of img and how many pixels
// have another colour.
func dominant(img image.Image) (bg [4]uint32, other int) {
	counts := map[[4]uint32]int{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			counts[[4]uint32{r, g, bl, a}]++
		}
	}
	best := 0
	for c, n := range counts {
		if n > best {
			bg, best = c, n
		}
	}
	return bg, b.Dx()*b.Dy() - best
}

// saveScreenshots copies the screenshots into final/screenshots/, which
// the README shows, when UPDATE_SCREENSHOTS=1.
func saveScreenshots(t *testing.T, dir string, names ...string) {
	t.Helper()
	if os.Getenv("UPDATE_SCREENSHOTS") != "1" || t.Failed() {
		return
	}
	out := filepath.Join(root, "final", "screenshots")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if err := copyTree(filepath.Join(dir, n), filepath.Join(out, n)); err != nil {
			t.Errorf("UPDATE_SCREENSHOTS: %v", err)
			continue
		}
		t.Logf("UPDATE_SCREENSHOTS: wrote final/screenshots/%s", n)
	}
}
