package tenant

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"sort"
	"strings"
	"time"
)

// maxFileSize bounds what Load reads: a tenant file is written by hand or by Save, and
// even the demo tenant with its hundreds of groups stays far below this.
const maxFileSize = 32 << 20

// FieldError is why a tenant (or a change to one) was refused: the JSON path of the bad
// field, or the line and column where the file stopped being JSON, and one sentence.
type FieldError struct {
	// Path is the field's JSON path, as `apps[0].saml.sign`; empty when the problem is
	// the document itself.
	Path string
	// Line and Column (1-based) locate a syntax error; zero otherwise.
	Line, Column int
	// Msg says what is wrong, without the path.
	Msg string
}

// Error gives the path (or line and column) and the sentence, as one line.
func (e *FieldError) Error() string {
	switch {
	case e.Path != "":
		return e.Path + ": " + e.Msg
	case e.Line > 0:
		return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
	}
	return e.Msg
}

// Load reads and checks a tenant file; see Parse. The error names the file.
func Load(path string, rnd io.Reader) (*Tenant, error) { return load(path, rnd, true) }

// LoadSaved reads a tenant file that Save wrote from a Store (the harness's kept
// tenant state). It is Load, except that an app without a service principal keeps none:
// it was registered through Graph and its enterprise application is not created yet,
// where a hand-written file means every app to have one.
func LoadSaved(path string, rnd io.Reader) (*Tenant, error) { return load(path, rnd, false) }

func load(path string, rnd io.Reader, withSP bool) (*Tenant, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tenant file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("tenant file %s: %w", path, err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("tenant file %s: larger than %d MiB; this is not a tenant file", path, maxFileSize>>20)
	}
	t, err := parse(data, rnd, withSP)
	if err != nil {
		return nil, fmt.Errorf("tenant file %s: %w", path, err)
	}
	return t, nil
}

// Parse decodes a tenant file, generates what it leaves out (IDs as random GUIDs read
// from rnd, which nil means crypto/rand; the pairwise key), applies the defaults, and
// checks it. A file that is not JSON, has a field the format does not know, or contradicts
// itself is refused with a *FieldError.
func Parse(data []byte, rnd io.Reader) (*Tenant, error) { return parse(data, rnd, true) }

func parse(data []byte, rnd io.Reader, withSP bool) (*Tenant, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	data = bytes.TrimPrefix(data, []byte{0xEF, 0xBB, 0xBF})
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &FieldError{Msg: "the file is empty; a tenant file is one JSON object"}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var t Tenant
	if err := dec.Decode(&t); err != nil {
		return nil, decodeError(data, err)
	}
	end := dec.InputOffset()
	if rest := bytes.TrimLeft(data[end:], " \t\r\n"); len(rest) > 0 {
		line, col := position(data, int64(len(data)-len(rest)))
		return nil, &FieldError{Line: line, Column: col, Msg: "more data follows the tenant object; a tenant file holds one JSON object"}
	}
	if err := t.complete(rnd, withSP); err != nil {
		return nil, err
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return &t, nil
}

// decodeError turns what encoding/json reports (which, for an unknown field or a bad
// time, says nothing of where) into a FieldError with the path, by walking the document
// against the Tenant type.
func decodeError(data []byte, err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		line, col := position(data, syn.Offset-1)
		return &FieldError{Line: line, Column: col, Msg: syn.Error()}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return &FieldError{Msg: "the file ends in the middle of the JSON; it is cut short"}
	}
	var doc any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if dec.Decode(&doc) == nil {
		if ferr := walk(doc, reflect.TypeFor[Tenant](), ""); ferr != nil {
			return ferr
		}
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		line, col := position(data, typ.Offset-1)
		return &FieldError{Line: line, Column: col, Msg: fmt.Sprintf("a JSON %s where a %s belongs", typ.Value, typ.Type)}
	}
	return &FieldError{Msg: err.Error()}
}

// position returns the 1-based line and column of the byte at offset. encoding/json
// reports offsets just past the byte it choked on; callers subtract one.
func position(data []byte, offset int64) (line, col int) {
	offset = max(0, min(offset, int64(len(data))))
	before := data[:offset]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = int(offset) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

var timeType = reflect.TypeFor[time.Time]()

// walk finds the first place where the generic document v disagrees with type t, in
// document-independent (sorted key) order. It mirrors encoding/json's rules: object keys
// match field tags exactly or, failing that, ignoring case; null fits anything.
func walk(v any, t reflect.Type, path string) *FieldError {
	if v == nil {
		return nil
	}
	switch {
	case t == timeType:
		s, ok := v.(string)
		if !ok {
			return &FieldError{Path: path, Msg: fmt.Sprintf("want an RFC3339 time as a string, got %s", describeJSON(v))}
		}
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			return &FieldError{Path: path, Msg: fmt.Sprintf("%q is not an RFC3339 time such as \"2026-01-31T12:00:00Z\"", s)}
		}
		return nil
	case t.Kind() == reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return &FieldError{Path: path, Msg: fmt.Sprintf("want an object, got %s", describeJSON(v))}
		}
		fields := jsonFields(t)
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			f, ok := lookupField(fields, k)
			if !ok {
				return &FieldError{Path: join(path, k), Msg: unknownField(fields, k)}
			}
			if err := walk(obj[k], t.FieldByIndex(f.index).Type, join(path, f.name)); err != nil {
				return err
			}
		}
		return nil
	case t.Kind() == reflect.Slice:
		arr, ok := v.([]any)
		if !ok {
			return &FieldError{Path: path, Msg: fmt.Sprintf("want a list, got %s", describeJSON(v))}
		}
		for i, e := range arr {
			if err := walk(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	case t.Kind() == reflect.String:
		if _, ok := v.(string); !ok {
			return &FieldError{Path: path, Msg: fmt.Sprintf("want a string, got %s", describeJSON(v))}
		}
		return nil
	case t.Kind() == reflect.Bool:
		if _, ok := v.(bool); !ok {
			return &FieldError{Path: path, Msg: fmt.Sprintf("want true or false, got %s", describeJSON(v))}
		}
		return nil
	}
	return nil
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

type jsonField struct {
	name  string
	index []int
}

func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, jsonField{name: name, index: f.Index})
	}
	return out
}

func lookupField(fields []jsonField, key string) (jsonField, bool) {
	for _, f := range fields {
		if f.name == key {
			return f, true
		}
	}
	for _, f := range fields {
		if strings.EqualFold(f.name, key) {
			return f, true
		}
	}
	return jsonField{}, false
}

// unknownField explains a key the format does not have, suggesting the field it most
// likely misspells.
func unknownField(fields []jsonField, key string) string {
	names := make([]string, len(fields))
	best, bestDist := "", 3 // suggest only within two edits
	for i, f := range fields {
		names[i] = f.name
		if d := editDistance(strings.ToLower(key), f.name); d < bestDist {
			best, bestDist = f.name, d
		}
	}
	msg := "is not a field of the tenant file here"
	if best != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", best)
	}
	return msg + "; the fields are " + strings.Join(names, ", ")
}

// editDistance is the Levenshtein distance between two short ASCII strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func describeJSON(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("the string %q", x)
	case json.Number:
		return "the number " + x.String()
	case bool:
		return fmt.Sprintf("%t", x)
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return "null"
}
