package robot

import (
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// form is a form as a browser would submit it with its first submit button.
type form struct {
	action   *url.URL
	method   string
	values   url.Values
	password bool // has a password input: the login form
	blocked  bool // has a field the robot cannot fill (a code to type)
}

// forms parses a page and returns its forms, actions resolved against base (an empty
// action is the page itself, as in a browser).
func forms(body string, base *url.URL) []form {
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		return nil
	}
	var out []form
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.DataAtom == atom.Form {
			if f, ok := readForm(n, base); ok {
				out = append(out, f)
			}
			return // forms do not nest
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}

// chooseForm picks the form a person would submit: the login form when there is one,
// else the first form; ok is false when there is none the robot can submit.
func chooseForm(body string, base *url.URL) (form, bool) {
	fs := forms(body, base)
	for _, f := range fs {
		if f.password {
			return f, true
		}
	}
	for _, f := range fs {
		if !f.blocked {
			return f, true
		}
	}
	return form{}, false
}

func attr(n *html.Node, name string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && strings.EqualFold(a.Key, name) {
			return a.Val, true
		}
	}
	return "", false
}

func readForm(n *html.Node, base *url.URL) (form, bool) {
	action, _ := attr(n, "action")
	target, err := base.Parse(strings.TrimSpace(action))
	if err != nil {
		return form{}, false
	}
	target.Fragment = ""
	method, _ := attr(n, "method")
	f := form{action: target, method: http.MethodPost, values: url.Values{}}
	if strings.EqualFold(strings.TrimSpace(method), "get") {
		f.method = http.MethodGet
	}
	submitter := false
	var walk func(c *html.Node)
	walk = func(c *html.Node) {
		if c.Type == html.ElementNode {
			if _, off := attr(c, "disabled"); !off {
				f.field(c, &submitter)
			}
		}
		for k := c.FirstChild; k != nil; k = k.NextSibling {
			walk(k)
		}
	}
	walk(n)
	return f, true
}

// field adds what one control contributes to the form's data set (HTML's "constructing
// the entry list", for the controls login pages use).
func (f *form) field(n *html.Node, submitter *bool) {
	name, _ := attr(n, "name")
	switch n.DataAtom {
	case atom.Input:
		typ, _ := attr(n, "type")
		typ = strings.ToLower(strings.TrimSpace(typ))
		value, _ := attr(n, "value")
		switch typ {
		case "submit", "image":
			// The first submit button is the one clicked; it counts when named.
			if !*submitter && name != "" {
				f.values.Add(name, value)
			}
			*submitter = true
			return
		case "button", "reset", "file":
			return
		case "checkbox", "radio":
			if _, checked := attr(n, "checked"); checked && name != "" {
				if value == "" {
					value = "on"
				}
				f.values.Add(name, value)
			}
			return
		case "password":
			f.password = true
		case "hidden":
		default: // text, email and the other typed-in kinds
			_, required := attr(n, "required")
			if value == "" && required && name != "login" {
				f.blocked = true
			}
		}
		if name != "" {
			f.values.Add(name, value)
		}
	case atom.Button:
		typ, _ := attr(n, "type")
		if t := strings.ToLower(strings.TrimSpace(typ)); t == "" || t == "submit" {
			if !*submitter && name != "" {
				value, _ := attr(n, "value")
				f.values.Add(name, value)
			}
			*submitter = true
		}
	case atom.Textarea:
		if name != "" {
			f.values.Add(name, text(n))
		}
	case atom.Select:
		if name != "" {
			if v, ok := selected(n); ok {
				f.values.Add(name, v)
			}
		}
	}
}

func text(n *html.Node) string {
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	}
	return b.String()
}

// selected is a select's value: its selected option, else its first.
func selected(n *html.Node) (string, bool) {
	var first, chosen *html.Node
	var walk func(c *html.Node)
	walk = func(c *html.Node) {
		if c.Type == html.ElementNode && c.DataAtom == atom.Option {
			if first == nil {
				first = c
			}
			if _, ok := attr(c, "selected"); ok && chosen == nil {
				chosen = c
			}
		}
		for k := c.FirstChild; k != nil; k = k.NextSibling {
			walk(k)
		}
	}
	walk(n)
	if chosen == nil {
		chosen = first
	}
	if chosen == nil {
		return "", false
	}
	if v, ok := attr(chosen, "value"); ok {
		return v, true
	}
	return strings.TrimSpace(text(chosen)), true
}
