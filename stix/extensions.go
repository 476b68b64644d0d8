package stix

import (
	"math"
	"regexp"
	"strings"
)

// predefinedExtensions checks the SCO extensions STIX 2.1 defines (sections
// 6.7.2-6.7.6, 6.12.2-6.12.5, 6.13.2-6.13.3, 6.16.2), keyed by
// "type extension-name".
var predefinedExtensions = map[string]func(c *checker, path string, e map[string]any){
	"file ntfs-ext": func(c *checker, path string, e map[string]any) {
		c.fields(e, path, []field{
			opt("sid", str),
			opt("alternate_data_streams", listOf(objOf(req("name", str), opt("hashes", hashes), opt("size", nonNegInt)))),
		})
		atLeastOneAt(c, path, e, "sid", "alternate_data_streams")
	},
	"file raster-image-ext": func(c *checker, path string, e map[string]any) {
		c.fields(e, path, []field{
			opt("image_height", anyInt), opt("image_width", anyInt), opt("bits_per_pixel", anyInt),
			opt("exif_tags", exifTags),
		})
		atLeastOneAt(c, path, e, "image_height", "image_width", "bits_per_pixel", "exif_tags")
	},
	"file pdf-ext": func(c *checker, path string, e map[string]any) {
		c.fields(e, path, []field{
			opt("version", str), opt("is_optimized", boolean), opt("document_info_dict", dict(str)),
			opt("pdfid0", str), opt("pdfid1", str),
		})
		atLeastOneAt(c, path, e, "version", "is_optimized", "document_info_dict", "pdfid0", "pdfid1")
	},
	"file archive-ext": func(c *checker, path string, e map[string]any) {
		c.fields(e, path, []field{
			req("contains_refs", refsTo(only("file", "directory"))), opt("comment", str),
		})
	},
	"file windows-pebinary-ext": func(c *checker, path string, e map[string]any) {
		c.fields(e, path, []field{
			req("pe_type", str), opt("imphash", str), opt("machine_hex", checkHex),
			opt("number_of_sections", nonNegInt), opt("time_date_stamp", timestampSeconds),
			opt("pointer_to_symbol_table_hex", checkHex), opt("number_of_symbols", nonNegInt),
			opt("size_of_optional_header", nonNegInt), opt("characteristics_hex", checkHex),
			opt("file_header_hashes", hashes), opt("optional_header", peOptionalHeader),
			opt("sections", listOf(objOf(req("name", str), opt("size", nonNegInt),
				opt("entropy", num(negInf, posInf)), opt("hashes", hashes)))),
		})
		atLeastOneAt(c, path, e, "imphash", "machine_hex", "number_of_sections", "time_date_stamp",
			"pointer_to_symbol_table_hex", "number_of_symbols", "size_of_optional_header",
			"characteristics_hex", "file_header_hashes", "optional_header", "sections")
	},
	"network-traffic http-request-ext": func(c *checker, path string, e map[string]any) {
		c.fields(e, path, []field{
			req("request_method", str), req("request_value", str), opt("request_version", str),
			opt("request_header", dict(strList)), opt("message_body_length", anyInt),
			opt("message_body_data_ref", refTo(only("artifact"))),
		})
	},
	"network-traffic icmp-ext": func(c *checker, path string, e map[string]any) {
		c.fields(e, path, []field{req("icmp_type_hex", checkHex), req("icmp_code_hex", checkHex)})
	},
	"network-traffic socket-ext": func(c *checker, path string, e map[string]any) {
		c.fields(e, path, []field{
			req("address_family", enum("AF_UNSPEC", "AF_INET", "AF_IPX", "AF_APPLETALK", "AF_NETBIOS", "AF_INET6", "AF_IRDA", "AF_BTH")),
			opt("is_blocking", boolean), opt("is_listening", boolean),
			opt("options", socketOptions),
			opt("socket_type", enum("SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW", "SOCK_RDM", "SOCK_SEQPACKET")),
			opt("socket_descriptor", nonNegInt), opt("socket_handle", anyInt),
		})
	},
	"network-traffic tcp-ext": func(c *checker, path string, e map[string]any) {
		c.fields(e, path, []field{opt("src_flags_hex", checkHex), opt("dst_flags_hex", checkHex)})
		atLeastOneAt(c, path, e, "src_flags_hex", "dst_flags_hex")
	},
	"process windows-process-ext": func(c *checker, path string, e map[string]any) {
		c.fields(e, path, []field{
			opt("aslr_enabled", boolean), opt("dep_enabled", boolean), opt("priority", str),
			opt("owner_sid", str), opt("window_title", str), opt("startup_info", startupInfo),
			opt("integrity_level", enum("low", "medium", "high", "system")),
		})
		atLeastOneAt(c, path, e, "aslr_enabled", "dep_enabled", "priority", "owner_sid", "window_title", "startup_info")
	},
	"process windows-service-ext": func(c *checker, path string, e map[string]any) {
		c.fields(e, path, []field{
			opt("service_name", str), opt("descriptions", strList), opt("display_name", str),
			opt("group_name", str),
			opt("start_type", enum("SERVICE_AUTO_START", "SERVICE_BOOT_START", "SERVICE_DEMAND_START", "SERVICE_DISABLED", "SERVICE_SYSTEM_ALERT")),
			opt("service_dll_refs", refsTo(only("file"))),
			opt("service_type", enum("SERVICE_KERNEL_DRIVER", "SERVICE_FILE_SYSTEM_DRIVER", "SERVICE_WIN32_OWN_PROCESS", "SERVICE_WIN32_SHARE_PROCESS")),
			opt("service_status", enum("SERVICE_CONTINUE_PENDING", "SERVICE_PAUSE_PENDING", "SERVICE_PAUSED", "SERVICE_RUNNING", "SERVICE_START_PENDING", "SERVICE_STOP_PENDING", "SERVICE_STOPPED")),
		})
		atLeastOneAt(c, path, e, "service_name", "descriptions", "display_name", "group_name",
			"start_type", "service_dll_refs", "service_type", "service_status")
	},
	"user-account unix-account-ext": func(c *checker, path string, e map[string]any) {
		c.fields(e, path, []field{
			opt("gid", num(negInf, posInf)), opt("groups", strList), opt("home_dir", str), opt("shell", str),
		})
		atLeastOneAt(c, path, e, "gid", "groups", "home_dir", "shell")
	},
}

var negInf, posInf = math.Inf(-1), math.Inf(1)

var exifKeyRE = regexp.MustCompile(`^[A-Z][a-zA-Z0-9_-]+$`)

func exifTags(c *checker, path string, v any) {
	dict(func(c *checker, p string, v any) {
		if !exifKeyRE.MatchString(p[strings.LastIndexByte(p, '.')+1:]) {
			c.errf(p, "is not an EXIF tag name")
		}
		stringOrInt(c, p, v)
	})(c, path, v)
}

var socketOptionRE = regexp.MustCompile(`^(SO|ICMP|ICMP6|IP|IPV6|MCAST|TCP|IRLMP)(_[A-Z]+)+$`)

func socketOptions(c *checker, path string, v any) {
	dict(func(c *checker, p string, v any) {
		if !socketOptionRE.MatchString(p[strings.LastIndexByte(p, '.')+1:]) {
			c.errf(p, "is not a socket option name (SO_*, TCP_*, …)")
		}
		anyInt(c, p, v)
	})(c, path, v)
}

// startupInfo: the STARTUPINFO members STIX names; lpReserved and
// lpReserved2 are left out, as the OASIS schema can never accept them.
var startupInfoFields = map[string]check{
	"lpDesktop": str, "lpTitle": str, "dwFillAttribute": str, "dwFlags": str,
	"wShowWindow": str, "hStdInput": str, "hStdOutput": str, "hStdError": str,
	"cb": anyInt, "dwX": anyInt, "dwY": anyInt, "dwXSize": anyInt, "dwYSize": anyInt,
	"dwXCountChars": anyInt, "dwYCountChars": anyInt, "cbReserved2": integer(0, 0),
}

func startupInfo(c *checker, path string, v any) {
	dict(func(c *checker, p string, v any) {
		ch, ok := startupInfoFields[p[strings.LastIndexByte(p, '.')+1:]]
		if !ok {
			c.errf(p, "is not a STARTUPINFO member")
			return
		}
		ch(c, p, v)
	})(c, path, v)
}

var peOptionalHeaderFields = map[string]check{
	"magic_hex": checkHex, "major_linker_version": anyInt, "minor_linker_version": anyInt,
	"size_of_code": nonNegInt, "size_of_initialized_data": nonNegInt,
	"size_of_uninitialized_data": nonNegInt, "address_of_entry_point": anyInt,
	"base_of_code": anyInt, "base_of_data": anyInt, "image_base": anyInt,
	"section_alignment": anyInt, "file_alignment": anyInt, "major_os_version": anyInt,
	"minor_os_version": anyInt, "major_image_version": anyInt, "minor_image_version": anyInt,
	"major_subsystem_version": anyInt, "minor_subsystem_version": anyInt,
	"win32_version_value_hex": checkHex, "size_of_image": nonNegInt, "size_of_headers": nonNegInt,
	"checksum_hex": checkHex, "subsystem_hex": checkHex, "dll_characteristics_hex": checkHex,
	"size_of_stack_reserve": nonNegInt, "size_of_stack_commit": nonNegInt,
	"size_of_heap_reserve": nonNegInt, "size_of_heap_commit": nonNegInt,
	"loader_flags_hex": checkHex, "number_of_rva_and_sizes": anyInt, "hashes": hashes,
}

func peOptionalHeader(c *checker, path string, v any) {
	m, ok := v.(map[string]any)
	if !ok {
		c.errf(path, "must be an object")
		return
	}
	if len(m) == 0 {
		c.errf(path, "must not be empty")
	}
	for _, k := range sortedKeys(m) {
		ch, ok := peOptionalHeaderFields[k]
		if !ok {
			c.errf(path+"."+k, "is not a property of the PE optional header")
			continue
		}
		if m[k] == nil {
			c.errf(path+"."+k, "must not be null")
			continue
		}
		ch(c, path+"."+k, m[k])
	}
}
