package iodef

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/accord-cyber/accord"
)

// Limits on what Decode reads. An IODEF document is a few kilobytes; the
// limits leave room for bulk observable lists of some hundred thousand
// entries while bounding the memory one document can take (the element
// tree costs some hundred bytes per element on top of the input).
const (
	// MaxSize is the largest document Decode reads, in bytes.
	MaxSize = 8 << 20
	// MaxDepth is the deepest nesting of elements Decode accepts. RFC 7970
	// documents nest some 15 deep; only EventData and IndicatorExpression
	// recurse.
	MaxDepth = 64
	// MaxElements is the most elements Decode accepts in one document.
	MaxElements = 200_000
	// maxAttrs is the most attributes one element may have; IODEF classes
	// have at most 11.
	maxAttrs = 64
)

// Namespaces of the elements Decode reads.
const (
	// Namespace is the XML namespace of IODEF v2 (RFC 7970 section 8).
	Namespace   = "urn:ietf:params:xml:ns:iodef-2.0"
	namespaceV1 = "urn:ietf:params:xml:ns:iodef-1.0"
	nsEnum      = "urn:ietf:params:xml:ns:iodef-enum-1.0"
	nsDSig      = "http://www.w3.org/2000/09/xmldsig#"
	nsXML       = "http://www.w3.org/XML/1998/namespace"
)

// node is one element of the document: its name, attributes, text and
// children, and what the mapping did with it.
type node struct {
	name   xml.Name
	attrs  []xml.Attr
	text   strings.Builder // character data directly inside the element
	kids   []*node
	parent *node
	index  int              // 1-based position among the parent's children of the same name
	count  int              // how many children of that name the parent has
	counts map[xml.Name]int // while the element is open: its children by name

	used bool   // the mapping read the element (its children are judged one by one)
	skip string // the mapping passed over the element for this reason
}

// parse reads one XML document into a tree, refusing what encoding/xml
// would accept but an IODEF document never contains: a DTD (so no entity
// can be declared, internal or external; encoding/xml itself expands only
// the five predefined entities and never fetches anything), encodings other
// than UTF-8, more than one root element, and documents beyond the limits
// above.
func parse(r io.Reader) (*node, error) {
	lr := &io.LimitedReader{R: r, N: MaxSize + 1}
	data, err := io.ReadAll(lr)
	if err != nil {
		return nil, fmt.Errorf("read IODEF document: %w", err)
	}
	if len(data) > MaxSize {
		return nil, accord.Errorf(accord.EINVALID, "the document is larger than %d bytes (%d MiB), the most accepted", MaxSize, MaxSize>>20)
	}
	if !utf8.Valid(data) {
		return nil, accord.Errorf(accord.EINVALID, "the document is not UTF-8")
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))

	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	d.CharsetReader = func(label string, _ io.Reader) (io.Reader, error) {
		return nil, fmt.Errorf("encoding %q is not accepted (only UTF-8)", label)
	}
	var (
		root     *node
		stack    []*node
		elements int
	)
	here := func() string {
		if len(stack) == 0 {
			return ""
		}
		return stack[len(stack)-1].path()
	}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return nil, &accord.Error{Code: accord.EINVALID, Field: here(), Message: fmt.Sprintf("not well-formed XML (line %d): %s", se.Line, se.Msg)}
			}
			return nil, &accord.Error{Code: accord.EINVALID, Field: here(), Message: "not well-formed XML: " + err.Error()}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root != nil && len(stack) == 0 {
				return nil, accord.Errorf(accord.EINVALID, "more than one root element (a second <%s> after </%s>)", t.Name.Local, root.name.Local)
			}
			if len(stack) >= MaxDepth {
				return nil, &accord.Error{Code: accord.EINVALID, Field: here(), Message: fmt.Sprintf("elements nested deeper than %d", MaxDepth)}
			}
			if elements++; elements > MaxElements {
				return nil, accord.Errorf(accord.EINVALID, "more than %d elements", MaxElements)
			}
			if len(t.Attr) > maxAttrs {
				return nil, &accord.Error{Code: accord.EINVALID, Field: here(), Message: fmt.Sprintf("<%s> has more than %d attributes", t.Name.Local, maxAttrs)}
			}
			n := &node{name: t.Name}
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns" {
					continue
				}
				n.attrs = append(n.attrs, a)
			}
			if len(stack) == 0 {
				root = n
			} else {
				p := stack[len(stack)-1]
				n.parent = p
				if p.counts == nil {
					p.counts = map[xml.Name]int{}
				}
				p.counts[n.name]++
				n.index = p.counts[n.name]
				p.kids = append(p.kids, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			n := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			n.number()
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(t)
			} else if len(bytes.TrimSpace(t)) > 0 {
				return nil, accord.Errorf(accord.EINVALID, "not well-formed XML: text outside the root element")
			}
		case xml.Directive:
			// <!DOCTYPE …>, <!ENTITY …> and the like.
			return nil, &accord.Error{Code: accord.EINVALID, Field: here(), Message: "a DTD or other <!…> declaration is not accepted in an IODEF document"}
		case xml.ProcInst, xml.Comment:
		}
	}
	if root == nil {
		return nil, accord.Errorf(accord.EINVALID, "no root element: not an XML document")
	}
	return root, nil
}

// number tells n's children, once n has ended, how many siblings share
// their name.
func (n *node) number() {
	for _, k := range n.kids {
		k.count = n.counts[k.name]
	}
	n.counts = nil
}

// path is the XPath-like place of n: local names from the root, with the
// 1-based position among same-named siblings where there is more than one:
// IODEF-Document/Incident[2]/EventData/Flow/System[3]/Node/Address.
func (n *node) path() string {
	if n == nil {
		return ""
	}
	var parts []string
	for m := n; m != nil; m = m.parent {
		s := m.label()
		// count is known once the parent has ended; before (an error
		// while parsing) a later sibling still shows its position.
		if m.count > 1 || m.count == 0 && m.index > 1 {
			s += "[" + strconv.Itoa(m.index) + "]"
		}
		parts = append(parts, s)
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(parts, "/")
}

// label is the element's name as a path shows it: the local name for IODEF
// elements, with a prefix for the other namespaces accord knows.
func (n *node) label() string {
	switch n.name.Space {
	case Namespace:
		return n.name.Local
	case nsDSig:
		return "ds:" + n.name.Local
	case nsEnum:
		return "enum:" + n.name.Local
	case "urn:ietf:params:xml:ns:iodef-sci-1.0":
		return "sci:" + n.name.Local
	case "":
		return n.name.Local
	}
	return "{" + n.name.Space + "}" + n.name.Local
}

// is reports whether n is the IODEF element local.
func (n *node) is(local string) bool { return n.name.Space == Namespace && n.name.Local == local }

// children returns n's IODEF children named local, in document order.
func (n *node) children(local string) []*node {
	var out []*node
	for _, k := range n.kids {
		if k.is(local) {
			out = append(out, k)
		}
	}
	return out
}

// child returns n's first IODEF child named local, or nil.
func (n *node) child(local string) *node {
	for _, k := range n.kids {
		if k.is(local) {
			return k
		}
	}
	return nil
}

// childNS returns n's first child in namespace space named local, or nil.
func (n *node) childNS(space, local string) *node {
	for _, k := range n.kids {
		if k.name.Space == space && k.name.Local == local {
			return k
		}
	}
	return nil
}

// attr returns the value of the unqualified attribute name and whether it
// is present.
func (n *node) attr(name string) (string, bool) {
	for _, a := range n.attrs {
		if a.Name.Space == "" && a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

// attrValue returns the trimmed value of attribute name, or "".
func (n *node) attrValue(name string) string {
	v, _ := n.attr(name)
	return strings.TrimSpace(v)
}

// lang returns n's xml:lang attribute, or "".
func (n *node) lang() string {
	for _, a := range n.attrs {
		if a.Name.Space == nsXML && a.Name.Local == "lang" {
			return a.Value
		}
	}
	return ""
}

// value marks n used and returns its text with leading and trailing white
// space removed.
func (n *node) value() string {
	n.used = true
	return strings.TrimSpace(n.text.String())
}

// words marks n used and returns its text with every run of white space
// collapsed to one space, as XML Schema's "collapse" does: how free text
// that producers indent and wrap over lines reads as one line.
func (n *node) words() string {
	n.used = true
	return strings.Join(strings.Fields(n.text.String()), " ")
}

// lines marks n used and returns its text line by line, each line
// trimmed, blank lines at either end dropped and runs of blank lines kept
// as one: the indentation of the XML source goes, paragraphs stay.
func (n *node) lines() string {
	n.used = true
	var out []string
	blank := false
	for _, l := range strings.Split(n.text.String(), "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			blank = len(out) > 0
			continue
		}
		if blank {
			out = append(out, "")
			blank = false
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// compact marks n used and returns its text with all white space removed:
// for values in which white space is never part of the value but
// producers wrap long ones over lines (URLs, RFC 3986 appendix C; base64
// and hex digests).
func (n *node) compact() string {
	n.used = true
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '\r':
			return -1
		}
		return r
	}, n.text.String())
}

// invalid returns an EINVALID error about n.
func (n *node) invalid(format string, args ...any) *accord.Error {
	return &accord.Error{Code: accord.EINVALID, Field: n.path(), Message: fmt.Sprintf(format, args...)}
}

// pass marks n as read over, for reason (listed in Document.Skipped).
func (n *node) pass(reason string) {
	if n.skip == "" {
		n.skip = reason
	}
}
