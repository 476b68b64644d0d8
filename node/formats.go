package node

import (
	"context"
	"io"
	"slices"
	"strings"

	"github.com/accord-cyber/accord"
)

// ImportFormats and ExportFormats name the formats Import and Export take.
var (
	ImportFormats = []string{"stix"}
	ExportFormats = []string{"stix"}
)

// Import imports a file of the given format into a case, all or nothing
// (see ImportObjects). EINVALID for an unknown format.
func (s *Service) Import(ctx context.Context, actor accord.Actor, format string, r io.Reader, opts ImportOptions) (*ImportReport, error) {
	switch format {
	case "stix":
		return s.ImportSTIX(ctx, actor, r, opts)
	}
	return nil, accord.FieldError("format", "%q is not an import format (%s)", format, strings.Join(ImportFormats, ", "))
}

// Export writes a case's objects in the given format. EINVALID for an
// unknown format; ENOTFOUND for an unknown case.
func (s *Service) Export(ctx context.Context, actor accord.Actor, format, caseID string, w io.Writer) error {
	if !slices.Contains(ExportFormats, format) {
		return accord.FieldError("format", "%q is not an export format (%s)", format, strings.Join(ExportFormats, ", "))
	}
	_, err := s.ExportSTIX(ctx, actor, caseID, w)
	return err
}
