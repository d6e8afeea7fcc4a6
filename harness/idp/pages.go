package idp

import (
	"bytes"
	"html/template"
	"maps"
	"net/http"
	"net/url"
	"slices"
)

// pageData fills the one page template: the login form, the consent form, the device
// code form, Entra's error page, and plain messages.
type pageData struct {
	Title   string
	Tenant  string // the directory's name, the page's banner
	AppName string
	Message string
	Hint    string // what a person reads first, above the AADSTS line
	Error   string // an AADSTS line shown above the form or as the page's content
	Action  string // where the form posts; empty: no form
	Hidden  []hiddenInput
	Login   string // the login input's value

	ShowLogin    bool
	ShowPassword bool
	ShowOTC      bool
	ShowConsent  bool
	Scopes       []string
	Button       string

	// Secondary is a second form (device code: decline) posted to SecondaryAction.
	SecondaryAction string
	SecondaryHidden []hiddenInput
	SecondaryButton string

	ErrorCode     int
	TraceID       string
	CorrelationID string
	Timestamp     string
}

type hiddenInput struct{ Name, Value string }

// The look follows Entra's sign-in page: a white card on a grey page, Segoe UI, a blue
// primary button, inputs with a bottom rule. Everything is inline: the harness serves
// no external assets and works offline.
var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="none">
<title>{{if .Title}}{{.Title}}{{else}}Sign in to your account{{end}}</title>
<style>
body{margin:0;background:#f2f2f2;font-family:"Segoe UI","Helvetica Neue",Arial,sans-serif;color:#1b1b1b;font-size:15px}
.card{box-sizing:border-box;width:440px;max-width:calc(100% - 40px);margin:80px auto 0;background:#fff;padding:44px;box-shadow:0 2px 6px rgba(0,0,0,.2)}
.brand{display:flex;align-items:center;gap:8px;font-weight:600;font-size:15px;color:#5e5e5e;margin-bottom:16px}
.brand i{display:inline-block;width:20px;height:20px;border-radius:4px;background:#0067b8;color:#fff;font-style:normal;font-size:13px;line-height:20px;text-align:center}
h1{font-size:24px;font-weight:600;margin:0 0 12px;line-height:28px}
p{margin:0 0 12px;line-height:20px}
label{display:block;font-size:13px;color:#5e5e5e;margin-top:12px}
input[type=text],input[type=email],input[type=password]{width:100%;box-sizing:border-box;border:0;border-bottom:1px solid #666;padding:6px 0;font-size:15px;outline:none;background:transparent}
input:focus{border-bottom-color:#0067b8}
.err{color:#e81123;margin:8px 0 4px;font-size:14px}
.actions{display:flex;justify-content:flex-end;gap:8px;margin-top:24px}
button{min-width:108px;padding:4px 12px;height:32px;border:0;font-size:15px;cursor:pointer;background:#0067b8;color:#fff}
button.secondary{background:#ccc;color:#000}
ul{padding-left:20px}
.details{margin-top:24px;font-size:12px;color:#5e5e5e;overflow-wrap:anywhere}
.details div{margin:2px 0}
footer{text-align:center;color:#5e5e5e;font-size:12px;margin-top:24px}
</style></head>
<body><main class="card">
<div class="brand"><i aria-hidden="true">E</i>{{if .Tenant}}{{.Tenant}}{{else}}Local Entra{{end}}</div>
<h1>{{if .Title}}{{.Title}}{{else}}Sign in{{end}}</h1>
{{if .AppName}}<p>to continue to {{.AppName}}</p>{{end}}
{{if .Message}}<p>{{.Message}}</p>{{end}}
{{if .Hint}}<div class="err" role="alert">{{.Hint}}</div>{{end}}
{{if and .Error .Action}}<div class="details" id="error">{{.Error}}</div>{{end}}
{{if .Action}}<form method="post" action="{{.Action}}" autocomplete="off">
{{range .Hidden}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}{{if .ShowLogin}}<label for="i0116">Email, phone, or Skype</label>
<input type="email" id="i0116" name="login" value="{{.Login}}" autofocus required>
{{end}}{{if .ShowPassword}}<label for="i0118">Password</label>
<input type="password" id="i0118" name="passwd" required>
{{end}}{{if .ShowOTC}}<label for="otc">Code</label>
<input type="text" id="otc" name="otc" autofocus required>
{{end}}{{if .ShowConsent}}<p>This application would like to:</p><ul>{{range .Scopes}}<li>{{.}}</li>{{end}}</ul>
{{end}}<div class="actions"><button type="submit" id="idSIButton9">{{.Button}}</button></div>
</form>{{end}}
{{if .SecondaryAction}}<form method="post" action="{{.SecondaryAction}}">
{{range .SecondaryHidden}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<div class="actions"><button type="submit" class="secondary">{{.SecondaryButton}}</button></div>
</form>{{end}}
{{if and .Error (not .Action)}}<p class="err" id="error" role="alert">{{.Error}}</p>{{end}}
{{if .TraceID}}<div class="details"><div>Request Id: {{.TraceID}}</div><div>Correlation Id: {{.CorrelationID}}</div><div>Timestamp: {{.Timestamp}}</div>{{if .ErrorCode}}<div>Error code: AADSTS{{.ErrorCode}}</div>{{end}}</div>{{end}}
</main><footer>ssowizard local Entra · not a Microsoft service</footer></body></html>
`))

func renderPage(w http.ResponseWriter, status int, d pageData) {
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, d); err != nil {
		http.Error(w, "render page", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action *; frame-ancestors 'none'")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// formPostTemplate is response_mode=form_post: a form that submits itself to the
// redirect URI, with a button for browsers without script.
var formPostTemplate = template.Must(template.New("form_post").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Working...</title></head>
<body onload="document.forms[0].submit()">
<form method="POST" name="hiddenform" action="{{.Action}}">
{{range .Fields}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<noscript><p>Script is disabled. Click Submit to continue.</p><input type="submit" value="Submit"></noscript>
</form></body></html>
`))

func renderFormPost(w http.ResponseWriter, action string, v url.Values) {
	var fields []hiddenInput
	for _, k := range slices.Sorted(maps.Keys(v)) {
		fields = append(fields, hiddenInput{k, v.Get(k)})
	}
	var b bytes.Buffer
	if err := formPostTemplate.Execute(&b, struct {
		Action template.URL
		Fields []hiddenInput
	}{template.URL(action), fields}); err != nil {
		http.Error(w, "render page", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// The inline onload handler must run; nothing else may load.
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; form-action *")
	w.WriteHeader(http.StatusOK)
	w.Write(b.Bytes())
}
