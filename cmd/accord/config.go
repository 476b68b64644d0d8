package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/blob"
)

// Config is a node's config.toml. Relative paths are relative to the home.
type Config struct {
	// Party is the id of the party that owns the node.
	Party string `toml:"party"`
	// Agreement is the agreement file the node applies.
	Agreement string `toml:"agreement"`
	// Database is the SQLite database file.
	Database   string           `toml:"database"`
	API        APIConfig        `toml:"api"`
	Federation FederationConfig `toml:"federation"`
	Evidence   EvidenceConfig   `toml:"evidence"`
	Log        LogConfig        `toml:"log"`
}

// EvidenceConfig configures the evidence store (DIR/evidence).
type EvidenceConfig struct {
	// MaxBytes is the largest evidence file accepted, from `accord evidence
	// add`, the API's upload routes and peers' answers alike; a larger one is
	// refused with nothing stored.
	MaxBytes int64 `toml:"max_bytes"`
}

// FederationConfig configures the mutual-TLS listener peers deliver to.
type FederationConfig struct {
	// Addr is host:port of the federation listener.
	Addr string `toml:"addr"`
	// URL is the base URL peers use, as printed on the party card
	// (https://HOST:PORT/federation/v1/); it differs from Addr behind NAT.
	URL string `toml:"url"`
	// MaxSkew is how far a message's creation time may be from this node's
	// clock before the message is refused.
	MaxSkew string `toml:"max_skew"`
}

// APIConfig configures the HTTP API listener.
type APIConfig struct {
	// Addr is host:port of the API, UI and /metrics.
	Addr string `toml:"addr"`
	// MaxBodyBytes caps request bodies.
	MaxBodyBytes int64 `toml:"max_body_bytes"`
}

// LogConfig configures structured logs on stderr.
type LogConfig struct {
	Level  string `toml:"level"`  // debug, info, warn, error
	Format string `toml:"format"` // text, json
}

const (
	keysDir       = "keys"
	evidenceDir   = "evidence"
	configFile    = "config.toml"
	agreementFile = "agreement.toml"
	databaseFile  = "accord.db"
)

func defaultConfig(party string) Config {
	return Config{
		Party: party, Agreement: agreementFile, Database: databaseFile,
		API:        APIConfig{Addr: "127.0.0.1:8480", MaxBodyBytes: 1 << 20},
		Federation: FederationConfig{Addr: "127.0.0.1:8481", URL: "https://127.0.0.1:8481/federation/v1/", MaxSkew: "5m"},
		Evidence:   EvidenceConfig{MaxBytes: blob.DefaultMaxSize},
		Log:        LogConfig{Level: "info", Format: "text"},
	}
}

// Validate returns EINVALID naming the first bad setting.
func (c *Config) Validate() error {
	if err := accord.ValidatePartyID("party", c.Party); err != nil {
		return err
	}
	if c.Agreement == "" {
		return accord.FieldError("agreement", "is required")
	}
	if c.Database == "" {
		return accord.FieldError("database", "is required")
	}
	if _, _, err := net.SplitHostPort(c.API.Addr); err != nil {
		return accord.FieldError("api.addr", "%q is not host:port", c.API.Addr)
	}
	if c.API.MaxBodyBytes < 1024 || c.API.MaxBodyBytes > 1<<30 {
		return accord.FieldError("api.max_body_bytes", "must be between 1024 and 1073741824, got %d", c.API.MaxBodyBytes)
	}
	if _, _, err := net.SplitHostPort(c.Federation.Addr); err != nil {
		return accord.FieldError("federation.addr", "%q is not host:port", c.Federation.Addr)
	}
	if u, err := url.Parse(c.Federation.URL); err != nil || u.Scheme != "https" || u.Host == "" || !strings.HasSuffix(u.Path, "/federation/v1/") {
		return accord.FieldError("federation.url", "%q is not https://HOST:PORT/federation/v1/", c.Federation.URL)
	}
	if d, err := accord.ParseDuration(c.Federation.MaxSkew); err != nil || time.Duration(d) > 24*time.Hour {
		return accord.FieldError("federation.max_skew", "%q is not a duration up to 24h (e.g. 5m)", c.Federation.MaxSkew)
	}
	if c.Evidence.MaxBytes <= 0 {
		return accord.FieldError("evidence.max_bytes", "must be a positive number of bytes (default %d, 4 GiB), got %d", blob.DefaultMaxSize, c.Evidence.MaxBytes)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		return accord.FieldError("log.level", "%q is not a level (debug, info, warn, error)", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		return accord.FieldError("log.format", "%q is not a format (text, json)", c.Log.Format)
	}
	return nil
}

// loadConfig reads DIR/config.toml strictly: an unknown key, a wrong type or
// a bad value is refused with file, line and reason.
func loadConfig(dir string) (*Config, error) {
	path := filepath.Join(dir, configFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, accord.Errorf(accord.ENOTFOUND, "%s is not an accord home (no %s): run `accord init` or pass --home", dir, configFile)
	}
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	c := defaultConfig("")
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		var se *toml.StrictMissingError
		var de *toml.DecodeError
		switch {
		case errors.As(err, &se) && len(se.Errors) > 0:
			line, _ := se.Errors[0].Position()
			return nil, accord.Errorf(accord.EINVALID, "%s:%d: %s: unknown key", path, line, strings.Join(se.Errors[0].Key(), "."))
		case errors.As(err, &de):
			line, _ := de.Position()
			return nil, accord.Errorf(accord.EINVALID, "%s:%d: %s", path, line, strings.TrimPrefix(de.Error(), "toml: "))
		}
		return nil, accord.Errorf(accord.EINVALID, "%s: %v", path, err)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &c, nil
}

// write stores the config at DIR/config.toml with a commented header.
func (c *Config) write(dir string) error {
	var b bytes.Buffer
	b.WriteString("# accord node configuration. Relative paths are relative to this directory.\n")
	b.WriteString("# The agreement file holds the request types, deadlines and decline grounds.\n\n")
	if err := toml.NewEncoder(&b).Encode(c); err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	return os.WriteFile(filepath.Join(dir, configFile), b.Bytes(), 0o600)
}

// path resolves p against the home dir.
func homePath(dir, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}
