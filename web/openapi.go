package web

import (
	_ "embed"
	"net/http"

	"github.com/accord-cyber/accord"
)

// openapiJSON is the OpenAPI 3.1 document of every route in routes.go;
// openapi_test.go keeps the two in step.
//
//go:embed openapi.json
var openapiJSON []byte

// openapi serves the embedded OpenAPI document. Public.
func (s *server) openapi(w http.ResponseWriter, r *http.Request, _ accord.Actor) error {
	if _, err := query(r); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(openapiJSON)
	return nil
}
