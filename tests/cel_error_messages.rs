//! CEL runtime error messages, as Cerbos 0.55.0 (cel-go v0.30) reports them
//! in its evaluation errors, for every library function called with
//! arguments of each JSON type.
//!
//! Each case is `(condition, value of R.attr.v as JSON, message)`, taken
//! from the real Cerbos (`shared/oracle`) with one rule per condition and
//! one request per value. The conditions are compiled by our compiler into
//! one policy and checked together; every case's condition must fail with
//! exactly Cerbos's message.

#![cfg(feature = "compiler")]

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use portcullis::compiler::{compile_dir, CompileOptions};
use portcullis::engine::{CheckResourcesRequest, Effect, Engine, EngineConfig, RequestLimits};
use serde_json::json;

const NOW: i64 = 1_700_000_000_000_000_000;

/// `(condition, R.attr.v as JSON, Cerbos's message)`.
#[rustfmt::skip]
const CASES: &[(&str, &str, &str)] = &[
    (r#"R.attr.v.contains("a")"#, r#"[1,"a"]"#, r#"no such overload"#),
    (r#""abc".contains(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload"#),
    (r#"R.attr.v.startsWith("a")"#, r#"[1,"a"]"#, r#"no such overload"#),
    (r#""abc".startsWith(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload"#),
    (r#"R.attr.v.endsWith("a")"#, r#"[1,"a"]"#, r#"no such overload"#),
    (r#""abc".endsWith(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload"#),
    (r#"R.attr.v.matches("a")"#, r#"[1,"a"]"#, r#"no such overload"#),
    (r#""abc".matches(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload"#),
    (r#"matches(R.attr.v, "a")"#, r#"[1,"a"]"#, r#"no such overload"#),
    (r#"int(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: int(list)"#),
    (r#"int(R.attr.v)"#, r#""abc""#, r#"type conversion error from 'string' to 'int'"#),
    (r#"int(R.attr.v)"#, r#"true"#, r#"no such overload: int(bool)"#),
    (r#"uint(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: uint(list)"#),
    (r#"uint(R.attr.v)"#, r#""abc""#, r#"type conversion error from 'string' to 'uint'"#),
    (r#"uint(R.attr.v)"#, r#"true"#, r#"no such overload: uint(bool)"#),
    (r#"double(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: double(list)"#),
    (r#"double(R.attr.v)"#, r#""abc""#, r#"type conversion error from 'string' to 'double'"#),
    (r#"double(R.attr.v)"#, r#"true"#, r#"no such overload: double(bool)"#),
    (r#"string(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: string(list)"#),
    (r#"string(R.attr.v)"#, r#"null"#, r#"no such overload: string(null_type)"#),
    (r#"string(R.attr.v)"#, r#"{"a":1}"#, r#"no such overload: string(map)"#),
    (r#"bytes(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: bytes(list)"#),
    (r#"bytes(R.attr.v)"#, r#"true"#, r#"no such overload: bytes(bool)"#),
    (r#"bytes(R.attr.v)"#, r#"3"#, r#"no such overload: bytes(double)"#),
    (r#"bool(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: bool(list)"#),
    (r#"bool(R.attr.v)"#, r#""abc""#, r#"type conversion error from 'string' to 'bool'"#),
    (r#"bool(R.attr.v)"#, r#"3"#, r#"no such overload: bool(double)"#),
    (r#"timestamp(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: timestamp(list)"#),
    (r#"timestamp(R.attr.v)"#, r#""abc""#, r#"invalid RFC 3339 timestamp "abc""#),
    (r#"timestamp(R.attr.v)"#, r#""""#, r#"invalid RFC 3339 timestamp """#),
    (r#"duration(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: duration(list)"#),
    (r#"duration(R.attr.v)"#, r#""abc""#, r#"type conversion error from 'string' to 'google.protobuf.Duration'"#),
    (r#"duration(R.attr.v)"#, r#"true"#, r#"no such overload: duration(bool)"#),
    (r#"R.attr.v["a"]"#, r#"[1,"a"]"#, r#"unsupported index type 'string' in list"#),
    (r#"R.attr.v["a"]"#, r#""abc""#, r#"no such key: a"#),
    (r#"R.attr.v.a"#, r#"[1,"a"]"#, r#"unsupported index type 'string' in list"#),
    (r#"R.attr.v.a"#, r#""abc""#, r#"no such key: a"#),
    (r#"has(R.attr.v.a)"#, r#"[1,"a"]"#, r#"unsupported index type 'string' in list"#),
    (r#"R.attr.v + 1"#, r#"[1,"a"]"#, r#"no such overload"#),
    (r#"R.attr.v + 1"#, r#"true"#, r#"no such overload: _+_"#),
    (r#"1 + R.attr.v"#, r#"[1,"a"]"#, r#"no such overload"#),
    (r#"R.attr.v + "a""#, r#"[1,"a"]"#, r#"no such overload"#),
    (r#"R.attr.v + "a""#, r#"true"#, r#"no such overload: _+_"#),
    (r#""a" + R.attr.v"#, r#"[1,"a"]"#, r#"no such overload"#),
    (r#"R.attr.v - 1"#, r#"[1,"a"]"#, r#"no such overload: _-_"#),
    (r#"R.attr.v - 1"#, r#""abc""#, r#"no such overload"#),
    (r#"R.attr.v * 2"#, r#"[1,"a"]"#, r#"no such overload: _*_"#),
    (r#"R.attr.v * 2"#, r#""abc""#, r#"no such overload"#),
    (r#"R.attr.v / 2"#, r#"[1,"a"]"#, r#"no such overload: _/_"#),
    (r#"R.attr.v / 2"#, r#""abc""#, r#"no such overload"#),
    (r#"R.attr.v % 2"#, r#"[1,"a"]"#, r#"no such overload: _%_"#),
    (r#"R.attr.v % 2"#, r#""abc""#, r#"no such overload"#),
    (r#"-R.attr.v"#, r#"[1,"a"]"#, r#"no such overload: -_"#),
    (r#"-R.attr.v"#, r#""abc""#, r#"no such overload"#),
    (r#"!R.attr.v"#, r#"[1,"a"]"#, r#"no such overload"#),
    (r#"R.attr.v < 1"#, r#"[1,"a"]"#, r#"no such overload: _<_"#),
    (r#"R.attr.v < 1"#, r#""abc""#, r#"no such overload"#),
    (r#"1 < R.attr.v"#, r#"[1,"a"]"#, r#"no such overload"#),
    (r#"R.attr.v < "a""#, r#"[1,"a"]"#, r#"no such overload: _<_"#),
    (r#"R.attr.v < "a""#, r#"true"#, r#"no such overload"#),
    (r#""a" < R.attr.v"#, r#"[1,"a"]"#, r#"no such overload"#),
    (r#"R.attr.v <= 1"#, r#"[1,"a"]"#, r#"no such overload: _<=_"#),
    (r#"R.attr.v <= 1"#, r#""abc""#, r#"no such overload"#),
    (r#"R.attr.v > 1"#, r#"[1,"a"]"#, r#"no such overload: _>_"#),
    (r#"R.attr.v > 1"#, r#""abc""#, r#"no such overload"#),
    (r#"R.attr.v >= 1"#, r#"[1,"a"]"#, r#"no such overload: _>=_"#),
    (r#"R.attr.v >= 1"#, r#""abc""#, r#"no such overload"#),
    (r#"R.attr.v && true"#, r#"[1,"a"]"#, r#"no such overload"#),
    (r#"R.attr.v || false"#, r#"[1,"a"]"#, r#"no such overload"#),
    (r#"R.attr.v ? 1 : 2"#, r#"[1,"a"]"#, r#"no such overload"#),
    (r#"int(R.attr.v) / 0"#, r#"[1,"a"]"#, r#"no such overload: int(list)"#),
    (r#"int(R.attr.v) / 0"#, r#""abc""#, r#"type conversion error from 'string' to 'int'"#),
    (r#"int(R.attr.v) / 0"#, r#"true"#, r#"no such overload: int(bool)"#),
    (r#"int(R.attr.v) % 0"#, r#"[1,"a"]"#, r#"no such overload: int(list)"#),
    (r#"int(R.attr.v) % 0"#, r#""abc""#, r#"type conversion error from 'string' to 'int'"#),
    (r#"int(R.attr.v) % 0"#, r#"true"#, r#"no such overload: int(bool)"#),
    (r#"int(R.attr.v) * 9223372036854775807"#, r#"[1,"a"]"#, r#"no such overload: int(list)"#),
    (r#"int(R.attr.v) * 9223372036854775807"#, r#""abc""#, r#"type conversion error from 'string' to 'int'"#),
    (r#"int(R.attr.v) * 9223372036854775807"#, r#"true"#, r#"no such overload: int(bool)"#),
    (r#"int(R.attr.v) + 9223372036854775807"#, r#"[1,"a"]"#, r#"no such overload: int(list)"#),
    (r#"int(R.attr.v) + 9223372036854775807"#, r#""abc""#, r#"type conversion error from 'string' to 'int'"#),
    (r#"int(R.attr.v) + 9223372036854775807"#, r#"true"#, r#"no such overload: int(bool)"#),
    (r#"int(R.attr.v) - 9223372036854775807"#, r#"[1,"a"]"#, r#"no such overload: int(list)"#),
    (r#"int(R.attr.v) - 9223372036854775807"#, r#""abc""#, r#"type conversion error from 'string' to 'int'"#),
    (r#"int(R.attr.v) - 9223372036854775807"#, r#"true"#, r#"no such overload: int(bool)"#),
    (r#"-(int(R.attr.v) - 9223372036854775807 - 1)"#, r#"[1,"a"]"#, r#"no such overload: int(list)"#),
    (r#"-(int(R.attr.v) - 9223372036854775807 - 1)"#, r#""abc""#, r#"type conversion error from 'string' to 'int'"#),
    (r#"-(int(R.attr.v) - 9223372036854775807 - 1)"#, r#"true"#, r#"no such overload: int(bool)"#),
    (r#"uint(R.attr.v) - 10u"#, r#"[1,"a"]"#, r#"no such overload: uint(list)"#),
    (r#"uint(R.attr.v) - 10u"#, r#""abc""#, r#"type conversion error from 'string' to 'uint'"#),
    (r#"uint(R.attr.v) - 10u"#, r#"true"#, r#"no such overload: uint(bool)"#),
    (r#"uint(R.attr.v) + 18446744073709551615u"#, r#"[1,"a"]"#, r#"no such overload: uint(list)"#),
    (r#"uint(R.attr.v) + 18446744073709551615u"#, r#""abc""#, r#"type conversion error from 'string' to 'uint'"#),
    (r#"uint(R.attr.v) + 18446744073709551615u"#, r#"true"#, r#"no such overload: uint(bool)"#),
    (r#"double(R.attr.v) / 0.0 > 0.0"#, r#"[1,"a"]"#, r#"no such overload: double(list)"#),
    (r#"double(R.attr.v) / 0.0 > 0.0"#, r#""abc""#, r#"type conversion error from 'string' to 'double'"#),
    (r#"double(R.attr.v) / 0.0 > 0.0"#, r#"true"#, r#"no such overload: double(bool)"#),
    (r#"uint(R.attr.v) / 0u"#, r#"[1,"a"]"#, r#"no such overload: uint(list)"#),
    (r#"uint(R.attr.v) / 0u"#, r#""abc""#, r#"type conversion error from 'string' to 'uint'"#),
    (r#"uint(R.attr.v) / 0u"#, r#"true"#, r#"no such overload: uint(bool)"#),
    (r#"R.attr.v.getFullYear()"#, r#"[1,"a"]"#, r#"no such overload: getFullYear(list)"#),
    (r#"R.attr.v.getFullYear()"#, r#""abc""#, r#"no such overload: getFullYear(string)"#),
    (r#"R.attr.v.getFullYear()"#, r#"true"#, r#"no such overload: getFullYear(bool)"#),
    (r#"R.attr.v.getFullYear("UTC")"#, r#"[1,"a"]"#, r#"no such overload: getFullYear(list, string)"#),
    (r#"R.attr.v.getFullYear("UTC")"#, r#""abc""#, r#"no such overload: getFullYear(string, string)"#),
    (r#"R.attr.v.getFullYear("UTC")"#, r#"true"#, r#"no such overload: getFullYear(bool, string)"#),
    (r#"R.attr.v.getMonth()"#, r#"[1,"a"]"#, r#"no such overload: getMonth(list)"#),
    (r#"R.attr.v.getMonth()"#, r#""abc""#, r#"no such overload: getMonth(string)"#),
    (r#"R.attr.v.getMonth()"#, r#"true"#, r#"no such overload: getMonth(bool)"#),
    (r#"R.attr.v.getDate()"#, r#"[1,"a"]"#, r#"no such overload: getDate(list)"#),
    (r#"R.attr.v.getDate()"#, r#""abc""#, r#"no such overload: getDate(string)"#),
    (r#"R.attr.v.getDate()"#, r#"true"#, r#"no such overload: getDate(bool)"#),
    (r#"R.attr.v.getDayOfMonth()"#, r#"[1,"a"]"#, r#"no such overload: getDayOfMonth(list)"#),
    (r#"R.attr.v.getDayOfMonth()"#, r#""abc""#, r#"no such overload: getDayOfMonth(string)"#),
    (r#"R.attr.v.getDayOfMonth()"#, r#"true"#, r#"no such overload: getDayOfMonth(bool)"#),
    (r#"R.attr.v.getDayOfWeek()"#, r#"[1,"a"]"#, r#"no such overload: getDayOfWeek(list)"#),
    (r#"R.attr.v.getDayOfWeek()"#, r#""abc""#, r#"no such overload: getDayOfWeek(string)"#),
    (r#"R.attr.v.getDayOfWeek()"#, r#"true"#, r#"no such overload: getDayOfWeek(bool)"#),
    (r#"R.attr.v.getDayOfYear()"#, r#"[1,"a"]"#, r#"no such overload: getDayOfYear(list)"#),
    (r#"R.attr.v.getDayOfYear()"#, r#""abc""#, r#"no such overload: getDayOfYear(string)"#),
    (r#"R.attr.v.getDayOfYear()"#, r#"true"#, r#"no such overload: getDayOfYear(bool)"#),
    (r#"R.attr.v.getHours()"#, r#"[1,"a"]"#, r#"no such overload: getHours(list)"#),
    (r#"R.attr.v.getHours()"#, r#""abc""#, r#"no such overload: getHours(string)"#),
    (r#"R.attr.v.getHours()"#, r#"true"#, r#"no such overload: getHours(bool)"#),
    (r#"R.attr.v.getMinutes()"#, r#"[1,"a"]"#, r#"no such overload: getMinutes(list)"#),
    (r#"R.attr.v.getMinutes()"#, r#""abc""#, r#"no such overload: getMinutes(string)"#),
    (r#"R.attr.v.getMinutes()"#, r#"true"#, r#"no such overload: getMinutes(bool)"#),
    (r#"R.attr.v.getSeconds()"#, r#"[1,"a"]"#, r#"no such overload: getSeconds(list)"#),
    (r#"R.attr.v.getSeconds()"#, r#""abc""#, r#"no such overload: getSeconds(string)"#),
    (r#"R.attr.v.getSeconds()"#, r#"true"#, r#"no such overload: getSeconds(bool)"#),
    (r#"R.attr.v.getMilliseconds()"#, r#"[1,"a"]"#, r#"no such overload: getMilliseconds(list)"#),
    (r#"R.attr.v.getMilliseconds()"#, r#""abc""#, r#"no such overload: getMilliseconds(string)"#),
    (r#"R.attr.v.getMilliseconds()"#, r#"true"#, r#"no such overload: getMilliseconds(bool)"#),
    (r#"R.attr.v.getHours("America/New_York")"#, r#"[1,"a"]"#, r#"no such overload: getHours(list, string)"#),
    (r#"R.attr.v.getHours("America/New_York")"#, r#""abc""#, r#"no such overload: getHours(string, string)"#),
    (r#"R.attr.v.getHours("America/New_York")"#, r#"true"#, r#"no such overload: getHours(bool, string)"#),
    (r#"timestamp(R.attr.v).getFullYear()"#, r#"[1,"a"]"#, r#"no such overload: timestamp(list)"#),
    (r#"timestamp(R.attr.v).getFullYear()"#, r#""abc""#, r#"invalid RFC 3339 timestamp "abc""#),
    (r#"timestamp(R.attr.v).getFullYear()"#, r#""""#, r#"invalid RFC 3339 timestamp """#),
    (r#"timestamp(R.attr.v).getHours(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: timestamp(list)"#),
    (r#"timestamp(R.attr.v).getHours(R.attr.v)"#, r#""abc""#, r#"invalid RFC 3339 timestamp "abc""#),
    (r#"timestamp(R.attr.v).getHours(R.attr.v)"#, r#""""#, r#"invalid RFC 3339 timestamp """#),
    (r#"timestamp("2024-01-01T00:00:00Z").getHours(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: getHours(google.protobuf.Timestamp, list)"#),
    (r#"timestamp("2024-01-01T00:00:00Z").getHours(R.attr.v)"#, r#""abc""#, r#"unknown time zone abc"#),
    (r#"timestamp("2024-01-01T00:00:00Z").getHours(R.attr.v)"#, r#"true"#, r#"no such overload: getHours(google.protobuf.Timestamp, bool)"#),
    (r#"duration(R.attr.v).getHours()"#, r#"[1,"a"]"#, r#"no such overload: duration(list)"#),
    (r#"duration(R.attr.v).getHours()"#, r#""abc""#, r#"type conversion error from 'string' to 'google.protobuf.Duration'"#),
    (r#"duration(R.attr.v).getHours()"#, r#"true"#, r#"no such overload: duration(bool)"#),
    (r#"duration(R.attr.v).getMinutes()"#, r#"[1,"a"]"#, r#"no such overload: duration(list)"#),
    (r#"duration(R.attr.v).getMinutes()"#, r#""abc""#, r#"type conversion error from 'string' to 'google.protobuf.Duration'"#),
    (r#"duration(R.attr.v).getMinutes()"#, r#"true"#, r#"no such overload: duration(bool)"#),
    (r#"duration(R.attr.v).getSeconds()"#, r#"[1,"a"]"#, r#"no such overload: duration(list)"#),
    (r#"duration(R.attr.v).getSeconds()"#, r#""abc""#, r#"type conversion error from 'string' to 'google.protobuf.Duration'"#),
    (r#"duration(R.attr.v).getSeconds()"#, r#"true"#, r#"no such overload: duration(bool)"#),
    (r#"duration(R.attr.v).getMilliseconds()"#, r#"[1,"a"]"#, r#"no such overload: duration(list)"#),
    (r#"duration(R.attr.v).getMilliseconds()"#, r#""abc""#, r#"type conversion error from 'string' to 'google.protobuf.Duration'"#),
    (r#"duration(R.attr.v).getMilliseconds()"#, r#"true"#, r#"no such overload: duration(bool)"#),
    (r#"timestamp(R.attr.v) + duration("1h")"#, r#"[1,"a"]"#, r#"no such overload: timestamp(list)"#),
    (r#"timestamp(R.attr.v) + duration("1h")"#, r#""abc""#, r#"invalid RFC 3339 timestamp "abc""#),
    (r#"timestamp(R.attr.v) + duration("1h")"#, r#""""#, r#"invalid RFC 3339 timestamp """#),
    (r#"timestamp(R.attr.v) - timestamp("2024-01-01T00:00:00Z")"#, r#"[1,"a"]"#, r#"no such overload: timestamp(list)"#),
    (r#"timestamp(R.attr.v) - timestamp("2024-01-01T00:00:00Z")"#, r#""abc""#, r#"invalid RFC 3339 timestamp "abc""#),
    (r#"timestamp(R.attr.v) - timestamp("2024-01-01T00:00:00Z")"#, r#""""#, r#"invalid RFC 3339 timestamp """#),
    (r#"now() - timestamp(R.attr.v) > duration("1s")"#, r#"[1,"a"]"#, r#"no such overload: timestamp(list)"#),
    (r#"now() - timestamp(R.attr.v) > duration("1s")"#, r#""abc""#, r#"invalid RFC 3339 timestamp "abc""#),
    (r#"now() - timestamp(R.attr.v) > duration("1s")"#, r#""""#, r#"invalid RFC 3339 timestamp """#),
    (r#"timestamp(R.attr.v) < now()"#, r#"[1,"a"]"#, r#"no such overload: timestamp(list)"#),
    (r#"timestamp(R.attr.v) < now()"#, r#""abc""#, r#"invalid RFC 3339 timestamp "abc""#),
    (r#"timestamp(R.attr.v) < now()"#, r#""""#, r#"invalid RFC 3339 timestamp """#),
    (r#"timeSince(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload"#),
    (r#"timestamp(R.attr.v).timeSince() > duration("1s")"#, r#"[1,"a"]"#, r#"no such overload: timestamp(list)"#),
    (r#"timestamp(R.attr.v).timeSince() > duration("1s")"#, r#""abc""#, r#"invalid RFC 3339 timestamp "abc""#),
    (r#"timestamp(R.attr.v).timeSince() > duration("1s")"#, r#""""#, r#"invalid RFC 3339 timestamp """#),
    (r#"R.attr.v.timeSince()"#, r#"[1,"a"]"#, r#"no such overload"#),
    (r#"R.attr.v.charAt(0)"#, r#"[1,"a"]"#, r#"no such overload: charAt(list, int)"#),
    (r#"R.attr.v.charAt(0)"#, r#"true"#, r#"no such overload: charAt(bool, int)"#),
    (r#"R.attr.v.charAt(0)"#, r#"3"#, r#"no such overload: charAt(double, int)"#),
    (r#""abc".charAt(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: charAt(string, list)"#),
    (r#""abc".charAt(R.attr.v)"#, r#""abc""#, r#"no such overload: charAt(string, string)"#),
    (r#""abc".charAt(R.attr.v)"#, r#"true"#, r#"no such overload: charAt(string, bool)"#),
    (r#"R.attr.v.indexOf("a")"#, r#"[1,"a"]"#, r#"no such overload: indexOf(list, string)"#),
    (r#"R.attr.v.indexOf("a")"#, r#"true"#, r#"no such overload: indexOf(bool, string)"#),
    (r#"R.attr.v.indexOf("a")"#, r#"3"#, r#"no such overload: indexOf(double, string)"#),
    (r#""abc".indexOf(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: indexOf(string, list)"#),
    (r#""abc".indexOf(R.attr.v)"#, r#"true"#, r#"no such overload: indexOf(string, bool)"#),
    (r#""abc".indexOf(R.attr.v)"#, r#"3"#, r#"no such overload: indexOf(string, double)"#),
    (r#""abc".indexOf("a", R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: indexOf(string, string, list)"#),
    (r#""abc".indexOf("a", R.attr.v)"#, r#""abc""#, r#"no such overload: indexOf(string, string, string)"#),
    (r#""abc".indexOf("a", R.attr.v)"#, r#"true"#, r#"no such overload: indexOf(string, string, bool)"#),
    (r#"R.attr.v.lastIndexOf("a")"#, r#"[1,"a"]"#, r#"no such overload: lastIndexOf(list, string)"#),
    (r#"R.attr.v.lastIndexOf("a")"#, r#"true"#, r#"no such overload: lastIndexOf(bool, string)"#),
    (r#"R.attr.v.lastIndexOf("a")"#, r#"3"#, r#"no such overload: lastIndexOf(double, string)"#),
    (r#""abc".lastIndexOf(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: lastIndexOf(string, list)"#),
    (r#""abc".lastIndexOf(R.attr.v)"#, r#"true"#, r#"no such overload: lastIndexOf(string, bool)"#),
    (r#""abc".lastIndexOf(R.attr.v)"#, r#"3"#, r#"no such overload: lastIndexOf(string, double)"#),
    (r#"R.attr.v.lowerAscii()"#, r#"[1,"a"]"#, r#"no such overload: lowerAscii(list)"#),
    (r#"R.attr.v.lowerAscii()"#, r#"true"#, r#"no such overload: lowerAscii(bool)"#),
    (r#"R.attr.v.lowerAscii()"#, r#"3"#, r#"no such overload: lowerAscii(double)"#),
    (r#"R.attr.v.upperAscii()"#, r#"[1,"a"]"#, r#"no such overload: upperAscii(list)"#),
    (r#"R.attr.v.upperAscii()"#, r#"true"#, r#"no such overload: upperAscii(bool)"#),
    (r#"R.attr.v.upperAscii()"#, r#"3"#, r#"no such overload: upperAscii(double)"#),
    (r#"R.attr.v.replace("a", "b")"#, r#"[1,"a"]"#, r#"no such overload: replace(list, string, string)"#),
    (r#"R.attr.v.replace("a", "b")"#, r#"true"#, r#"no such overload: replace(bool, string, string)"#),
    (r#"R.attr.v.replace("a", "b")"#, r#"3"#, r#"no such overload: replace(double, string, string)"#),
    (r#""abc".replace(R.attr.v, "b")"#, r#"[1,"a"]"#, r#"no such overload: replace(string, list, string)"#),
    (r#""abc".replace(R.attr.v, "b")"#, r#"true"#, r#"no such overload: replace(string, bool, string)"#),
    (r#""abc".replace(R.attr.v, "b")"#, r#"3"#, r#"no such overload: replace(string, double, string)"#),
    (r#""abc".replace("a", R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: replace(string, string, list)"#),
    (r#""abc".replace("a", R.attr.v)"#, r#"true"#, r#"no such overload: replace(string, string, bool)"#),
    (r#""abc".replace("a", R.attr.v)"#, r#"3"#, r#"no such overload: replace(string, string, double)"#),
    (r#""abc".replace("a", "b", R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: replace(string, string, string, list)"#),
    (r#""abc".replace("a", "b", R.attr.v)"#, r#""abc""#, r#"no such overload: replace(string, string, string, string)"#),
    (r#""abc".replace("a", "b", R.attr.v)"#, r#"true"#, r#"no such overload: replace(string, string, string, bool)"#),
    (r#"R.attr.v.split(",")"#, r#"[1,"a"]"#, r#"no such overload: split(list, string)"#),
    (r#"R.attr.v.split(",")"#, r#"true"#, r#"no such overload: split(bool, string)"#),
    (r#"R.attr.v.split(",")"#, r#"3"#, r#"no such overload: split(double, string)"#),
    (r#""a,b".split(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: split(string, list)"#),
    (r#""a,b".split(R.attr.v)"#, r#"true"#, r#"no such overload: split(string, bool)"#),
    (r#""a,b".split(R.attr.v)"#, r#"3"#, r#"no such overload: split(string, double)"#),
    (r#""a,b".split(",", R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: split(string, string, list)"#),
    (r#""a,b".split(",", R.attr.v)"#, r#""abc""#, r#"no such overload: split(string, string, string)"#),
    (r#""a,b".split(",", R.attr.v)"#, r#"true"#, r#"no such overload: split(string, string, bool)"#),
    (r#"R.attr.v.substring(1)"#, r#"[1,"a"]"#, r#"no such overload: substring(list, int)"#),
    (r#"R.attr.v.substring(1)"#, r#""""#, r#"index out of range: 1"#),
    (r#"R.attr.v.substring(1)"#, r#"true"#, r#"no such overload: substring(bool, int)"#),
    (r#""abc".substring(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: substring(string, list)"#),
    (r#""abc".substring(R.attr.v)"#, r#""abc""#, r#"no such overload: substring(string, string)"#),
    (r#""abc".substring(R.attr.v)"#, r#"true"#, r#"no such overload: substring(string, bool)"#),
    (r#""abc".substring(0, R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: substring(string, int, list)"#),
    (r#""abc".substring(0, R.attr.v)"#, r#""abc""#, r#"no such overload: substring(string, int, string)"#),
    (r#""abc".substring(0, R.attr.v)"#, r#"true"#, r#"no such overload: substring(string, int, bool)"#),
    (r#"R.attr.v.trim()"#, r#"[1,"a"]"#, r#"no such overload: trim(list)"#),
    (r#"R.attr.v.trim()"#, r#"true"#, r#"no such overload: trim(bool)"#),
    (r#"R.attr.v.trim()"#, r#"3"#, r#"no such overload: trim(double)"#),
    (r#"R.attr.v.join()"#, r#"[1,"a"]"#, r#"no such overload: join(list)"#),
    (r#"R.attr.v.join()"#, r#""abc""#, r#"no such overload: join(string)"#),
    (r#"R.attr.v.join()"#, r#"true"#, r#"no such overload: join(bool)"#),
    (r#"R.attr.v.join(",")"#, r#"[1,"a"]"#, r#"no such overload: join(list, string)"#),
    (r#"R.attr.v.join(",")"#, r#""abc""#, r#"no such overload: join(string, string)"#),
    (r#"R.attr.v.join(",")"#, r#"true"#, r#"no such overload: join(bool, string)"#),
    (r#"["a"].join(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: join(list, list)"#),
    (r#"["a"].join(R.attr.v)"#, r#"true"#, r#"no such overload: join(list, bool)"#),
    (r#"["a"].join(R.attr.v)"#, r#"3"#, r#"no such overload: join(list, double)"#),
    (r#"R.attr.v.format([])"#, r#"[1,"a"]"#, r#"no such overload: format(list, list)"#),
    (r#"R.attr.v.format([])"#, r#"true"#, r#"no such overload: format(bool, list)"#),
    (r#"R.attr.v.format([])"#, r#"3"#, r#"no such overload: format(double, list)"#),
    (r#""%d".format([R.attr.v])"#, r#"[1,"a"]"#, r#"error during formatting: decimal clause can only be used on ints, uints, and doubles, was given list"#),
    (r#""%d".format([R.attr.v])"#, r#""abc""#, r#"error during formatting: decimal clause can only be used on ints, uints, and doubles, was given string"#),
    (r#""%d".format([R.attr.v])"#, r#"true"#, r#"error during formatting: decimal clause can only be used on ints, uints, and doubles, was given bool"#),
    (r#""%f".format([R.attr.v])"#, r#"[1,"a"]"#, r#"error during formatting: fixed-point clause can only be used on ints, uints, and doubles, was given list"#),
    (r#""%f".format([R.attr.v])"#, r#""abc""#, r#"error during formatting: fixed-point clause can only be used on ints, uints, and doubles, was given string"#),
    (r#""%f".format([R.attr.v])"#, r#"true"#, r#"error during formatting: fixed-point clause can only be used on ints, uints, and doubles, was given bool"#),
    (r#""%x".format([R.attr.v])"#, r#"[1,"a"]"#, r#"error during formatting: only ints, uints, bytes, and strings can be formatted as hex, was given list"#),
    (r#""%x".format([R.attr.v])"#, r#"true"#, r#"error during formatting: only ints, uints, bytes, and strings can be formatted as hex, was given bool"#),
    (r#""%x".format([R.attr.v])"#, r#"3"#, r#"error during formatting: only ints, uints, bytes, and strings can be formatted as hex, was given double"#),
    (r#""%o".format([R.attr.v])"#, r#"[1,"a"]"#, r#"error during formatting: octal clause can only be used on ints and uints, was given list"#),
    (r#""%o".format([R.attr.v])"#, r#""abc""#, r#"error during formatting: octal clause can only be used on ints and uints, was given string"#),
    (r#""%o".format([R.attr.v])"#, r#"true"#, r#"error during formatting: octal clause can only be used on ints and uints, was given bool"#),
    (r#""%b".format([R.attr.v])"#, r#"[1,"a"]"#, r#"error during formatting: only ints, uints, and bools can be formatted as binary, was given list"#),
    (r#""%b".format([R.attr.v])"#, r#""abc""#, r#"error during formatting: only ints, uints, and bools can be formatted as binary, was given string"#),
    (r#""%b".format([R.attr.v])"#, r#"3"#, r#"error during formatting: only ints, uints, and bools can be formatted as binary, was given double"#),
    (r#""%e".format([R.attr.v])"#, r#"[1,"a"]"#, r#"error during formatting: scientific clause can only be used on ints, uints, and doubles, was given list"#),
    (r#""%e".format([R.attr.v])"#, r#""abc""#, r#"error during formatting: scientific clause can only be used on ints, uints, and doubles, was given string"#),
    (r#""%e".format([R.attr.v])"#, r#"true"#, r#"error during formatting: scientific clause can only be used on ints, uints, and doubles, was given bool"#),
    (r#""%.2f".format([R.attr.v])"#, r#"[1,"a"]"#, r#"error during formatting: fixed-point clause can only be used on ints, uints, and doubles, was given list"#),
    (r#""%.2f".format([R.attr.v])"#, r#""abc""#, r#"error during formatting: fixed-point clause can only be used on ints, uints, and doubles, was given string"#),
    (r#""%.2f".format([R.attr.v])"#, r#"true"#, r#"error during formatting: fixed-point clause can only be used on ints, uints, and doubles, was given bool"#),
    (r#"strings.quote(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: strings.quote(list)"#),
    (r#"strings.quote(R.attr.v)"#, r#"true"#, r#"no such overload: strings.quote(bool)"#),
    (r#"strings.quote(R.attr.v)"#, r#"3"#, r#"no such overload: strings.quote(double)"#),
    (r#"[[1]].flatten(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: list(dyn).flatten(list(dyn))"#),
    (r#"[[1]].flatten(R.attr.v)"#, r#""abc""#, r#"no such overload: list(dyn).flatten(string)"#),
    (r#"[[1]].flatten(R.attr.v)"#, r#"true"#, r#"no such overload: list(dyn).flatten(bool)"#),
    (r#"R.attr.v.sort()"#, r#"[1,"a"]"#, r#"list elements must have the same type"#),
    (r#"R.attr.v.sort()"#, r#"[[1],[2,[3]]]"#, r#"list elements must be comparable"#),
    (r#"R.attr.v.sort()"#, r#""abc""#, r#"no such overload"#),
    (r#"R.attr.v.sortBy(x, x)"#, r#"[1,"a"]"#, r#"list elements must have the same type"#),
    (r#"R.attr.v.sortBy(x, x)"#, r#"[[1],[2,[3]]]"#, r#"list elements must be comparable"#),
    (r#"R.attr.v.sortBy(x, x)"#, r#""abc""#, r#"got 'types.String', expected iterable type"#),
    (r#"[1, 2].slice(R.attr.v, 1)"#, r#"[1,"a"]"#, r#"no such overload: slice(list, list, int)"#),
    (r#"[1, 2].slice(R.attr.v, 1)"#, r#""abc""#, r#"no such overload: slice(list, string, int)"#),
    (r#"[1, 2].slice(R.attr.v, 1)"#, r#"true"#, r#"no such overload: slice(list, bool, int)"#),
    (r#"[1, 2].slice(0, R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: slice(list, int, list)"#),
    (r#"[1, 2].slice(0, R.attr.v)"#, r#""abc""#, r#"no such overload: slice(list, int, string)"#),
    (r#"[1, 2].slice(0, R.attr.v)"#, r#"true"#, r#"no such overload: slice(list, int, bool)"#),
    (r#"lists.range(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: lists.range(list)"#),
    (r#"lists.range(R.attr.v)"#, r#""abc""#, r#"no such overload: lists.range(string)"#),
    (r#"lists.range(R.attr.v)"#, r#"true"#, r#"no such overload: lists.range(bool)"#),
    (r#"math.greatest(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: math.@max"#),
    (r#"math.greatest(R.attr.v)"#, r#"["b","a"]"#, r#"no such overload: math.@max(list)"#),
    (r#"math.greatest(R.attr.v)"#, r#"[]"#, r#"math.@max(list) argument must not be empty"#),
    (r#"math.greatest(R.attr.v, 1)"#, r#"[1,"a"]"#, r#"no such overload: math.@max(list, int)"#),
    (r#"math.greatest(R.attr.v, 1)"#, r#""abc""#, r#"no such overload: math.@max(string, int)"#),
    (r#"math.greatest(R.attr.v, 1)"#, r#"true"#, r#"no such overload: math.@max(bool, int)"#),
    (r#"math.greatest(1, R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: math.@max(int, list)"#),
    (r#"math.greatest(1, R.attr.v)"#, r#""abc""#, r#"no such overload: math.@max(int, string)"#),
    (r#"math.greatest(1, R.attr.v)"#, r#"true"#, r#"no such overload: math.@max(int, bool)"#),
    (r#"math.greatest([R.attr.v])"#, r#"[1,"a"]"#, r#"no such overload: math.@max(list)"#),
    (r#"math.least(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: math.@min"#),
    (r#"math.least(R.attr.v)"#, r#"["b","a"]"#, r#"no such overload: math.@min(list)"#),
    (r#"math.least(R.attr.v)"#, r#"[]"#, r#"math.@min(list) argument must not be empty"#),
    (r#"math.least(R.attr.v, 1)"#, r#"[1,"a"]"#, r#"no such overload: math.@min(list, int)"#),
    (r#"math.least(R.attr.v, 1)"#, r#""abc""#, r#"no such overload: math.@min(string, int)"#),
    (r#"math.least(R.attr.v, 1)"#, r#"true"#, r#"no such overload: math.@min(bool, int)"#),
    (r#"math.abs(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: math.abs(list)"#),
    (r#"math.abs(R.attr.v)"#, r#""abc""#, r#"no such overload: math.abs(string)"#),
    (r#"math.abs(R.attr.v)"#, r#"true"#, r#"no such overload: math.abs(bool)"#),
    (r#"math.ceil(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: math.ceil(list)"#),
    (r#"math.ceil(R.attr.v)"#, r#""abc""#, r#"no such overload: math.ceil(string)"#),
    (r#"math.ceil(R.attr.v)"#, r#"true"#, r#"no such overload: math.ceil(bool)"#),
    (r#"math.floor(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: math.floor(list)"#),
    (r#"math.floor(R.attr.v)"#, r#""abc""#, r#"no such overload: math.floor(string)"#),
    (r#"math.floor(R.attr.v)"#, r#"true"#, r#"no such overload: math.floor(bool)"#),
    (r#"math.round(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: math.round(list)"#),
    (r#"math.round(R.attr.v)"#, r#""abc""#, r#"no such overload: math.round(string)"#),
    (r#"math.round(R.attr.v)"#, r#"true"#, r#"no such overload: math.round(bool)"#),
    (r#"math.trunc(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: math.trunc(list)"#),
    (r#"math.trunc(R.attr.v)"#, r#""abc""#, r#"no such overload: math.trunc(string)"#),
    (r#"math.trunc(R.attr.v)"#, r#"true"#, r#"no such overload: math.trunc(bool)"#),
    (r#"math.sign(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: math.sign(list)"#),
    (r#"math.sign(R.attr.v)"#, r#""abc""#, r#"no such overload: math.sign(string)"#),
    (r#"math.sign(R.attr.v)"#, r#"true"#, r#"no such overload: math.sign(bool)"#),
    (r#"math.isNaN(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: math.isNaN(list)"#),
    (r#"math.isNaN(R.attr.v)"#, r#""abc""#, r#"no such overload: math.isNaN(string)"#),
    (r#"math.isNaN(R.attr.v)"#, r#"true"#, r#"no such overload: math.isNaN(bool)"#),
    (r#"math.isInf(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: math.isInf(list)"#),
    (r#"math.isInf(R.attr.v)"#, r#""abc""#, r#"no such overload: math.isInf(string)"#),
    (r#"math.isInf(R.attr.v)"#, r#"true"#, r#"no such overload: math.isInf(bool)"#),
    (r#"math.isFinite(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: math.isFinite(list)"#),
    (r#"math.isFinite(R.attr.v)"#, r#""abc""#, r#"no such overload: math.isFinite(string)"#),
    (r#"math.isFinite(R.attr.v)"#, r#"true"#, r#"no such overload: math.isFinite(bool)"#),
    (r#"math.bitAnd(R.attr.v, 1)"#, r#"[1,"a"]"#, r#"no such overload: math.bitAnd(list, int)"#),
    (r#"math.bitAnd(R.attr.v, 1)"#, r#""abc""#, r#"no such overload: math.bitAnd(string, int)"#),
    (r#"math.bitAnd(R.attr.v, 1)"#, r#"true"#, r#"no such overload: math.bitAnd(bool, int)"#),
    (r#"math.bitAnd(1, R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: math.bitAnd(int, list)"#),
    (r#"math.bitAnd(1, R.attr.v)"#, r#""abc""#, r#"no such overload: math.bitAnd(int, string)"#),
    (r#"math.bitAnd(1, R.attr.v)"#, r#"true"#, r#"no such overload: math.bitAnd(int, bool)"#),
    (r#"math.bitOr(R.attr.v, 1)"#, r#"[1,"a"]"#, r#"no such overload: math.bitOr(list, int)"#),
    (r#"math.bitOr(R.attr.v, 1)"#, r#""abc""#, r#"no such overload: math.bitOr(string, int)"#),
    (r#"math.bitOr(R.attr.v, 1)"#, r#"true"#, r#"no such overload: math.bitOr(bool, int)"#),
    (r#"math.bitXor(R.attr.v, 1)"#, r#"[1,"a"]"#, r#"no such overload: math.bitXor(list, int)"#),
    (r#"math.bitXor(R.attr.v, 1)"#, r#""abc""#, r#"no such overload: math.bitXor(string, int)"#),
    (r#"math.bitXor(R.attr.v, 1)"#, r#"true"#, r#"no such overload: math.bitXor(bool, int)"#),
    (r#"math.bitNot(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: math.bitNot(list)"#),
    (r#"math.bitNot(R.attr.v)"#, r#""abc""#, r#"no such overload: math.bitNot(string)"#),
    (r#"math.bitNot(R.attr.v)"#, r#"true"#, r#"no such overload: math.bitNot(bool)"#),
    (r#"math.bitShiftLeft(R.attr.v, 1)"#, r#"[1,"a"]"#, r#"no such overload: math.bitShiftLeft(list, int)"#),
    (r#"math.bitShiftLeft(R.attr.v, 1)"#, r#""abc""#, r#"no such overload: math.bitShiftLeft(string, int)"#),
    (r#"math.bitShiftLeft(R.attr.v, 1)"#, r#"true"#, r#"no such overload: math.bitShiftLeft(bool, int)"#),
    (r#"math.bitShiftLeft(1, R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: math.bitShiftLeft(int, list)"#),
    (r#"math.bitShiftLeft(1, R.attr.v)"#, r#""abc""#, r#"no such overload: math.bitShiftLeft(int, string)"#),
    (r#"math.bitShiftLeft(1, R.attr.v)"#, r#"true"#, r#"no such overload: math.bitShiftLeft(int, bool)"#),
    (r#"math.bitShiftRight(R.attr.v, 1)"#, r#"[1,"a"]"#, r#"no such overload: math.bitShiftRight(list, int)"#),
    (r#"math.bitShiftRight(R.attr.v, 1)"#, r#""abc""#, r#"no such overload: math.bitShiftRight(string, int)"#),
    (r#"math.bitShiftRight(R.attr.v, 1)"#, r#"true"#, r#"no such overload: math.bitShiftRight(bool, int)"#),
    (r#"math.isNaN(math.sqrt(R.attr.v))"#, r#"[1,"a"]"#, r#"no such overload: math.sqrt(list)"#),
    (r#"math.isNaN(math.sqrt(R.attr.v))"#, r#""abc""#, r#"no such overload: math.sqrt(string)"#),
    (r#"math.isNaN(math.sqrt(R.attr.v))"#, r#"true"#, r#"no such overload: math.sqrt(bool)"#),
    (r#"base64.encode(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: base64.encode(list)"#),
    (r#"base64.encode(R.attr.v)"#, r#""abc""#, r#"no such overload: base64.encode(string)"#),
    (r#"base64.encode(R.attr.v)"#, r#"true"#, r#"no such overload: base64.encode(bool)"#),
    (r#"base64.decode(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: base64.decode(list)"#),
    (r#"base64.decode(R.attr.v)"#, r#"true"#, r#"no such overload: base64.decode(bool)"#),
    (r#"base64.decode(R.attr.v)"#, r#"3"#, r#"no such overload: base64.decode(double)"#),
    (r#"regex.replace(R.attr.v, "a", "b")"#, r#"[1,"a"]"#, r#"no such overload: regex.replace(list, string, string)"#),
    (r#"regex.replace(R.attr.v, "a", "b")"#, r#"true"#, r#"no such overload: regex.replace(bool, string, string)"#),
    (r#"regex.replace(R.attr.v, "a", "b")"#, r#"3"#, r#"no such overload: regex.replace(double, string, string)"#),
    (r#"regex.replace("abc", R.attr.v, "b")"#, r#"[1,"a"]"#, r#"no such overload: regex.replace(string, list, string)"#),
    (r#"regex.replace("abc", R.attr.v, "b")"#, r#"true"#, r#"no such overload: regex.replace(string, bool, string)"#),
    (r#"regex.replace("abc", R.attr.v, "b")"#, r#"3"#, r#"no such overload: regex.replace(string, double, string)"#),
    (r#"regex.replace("abc", "a", R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: regex.replace(string, string, list)"#),
    (r#"regex.replace("abc", "a", R.attr.v)"#, r#"true"#, r#"no such overload: regex.replace(string, string, bool)"#),
    (r#"regex.replace("abc", "a", R.attr.v)"#, r#"3"#, r#"no such overload: regex.replace(string, string, double)"#),
    (r#"regex.replace("abc", "a", "b", R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: regex.replace(string, string, string, list)"#),
    (r#"regex.replace("abc", "a", "b", R.attr.v)"#, r#""abc""#, r#"no such overload: regex.replace(string, string, string, string)"#),
    (r#"regex.replace("abc", "a", "b", R.attr.v)"#, r#"true"#, r#"no such overload: regex.replace(string, string, string, bool)"#),
    (r#"regex.extract(R.attr.v, "a")"#, r#"[1,"a"]"#, r#"no such overload: regex.extract(list, string)"#),
    (r#"regex.extract(R.attr.v, "a")"#, r#"true"#, r#"no such overload: regex.extract(bool, string)"#),
    (r#"regex.extract(R.attr.v, "a")"#, r#"3"#, r#"no such overload: regex.extract(double, string)"#),
    (r#"regex.extract("abc", R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: regex.extract(string, list)"#),
    (r#"regex.extract("abc", R.attr.v)"#, r#"true"#, r#"no such overload: regex.extract(string, bool)"#),
    (r#"regex.extract("abc", R.attr.v)"#, r#"3"#, r#"no such overload: regex.extract(string, double)"#),
    (r#"regex.extractAll(R.attr.v, "a")"#, r#"[1,"a"]"#, r#"no such overload: regex.extractAll(list, string)"#),
    (r#"regex.extractAll(R.attr.v, "a")"#, r#"true"#, r#"no such overload: regex.extractAll(bool, string)"#),
    (r#"regex.extractAll(R.attr.v, "a")"#, r#"3"#, r#"no such overload: regex.extractAll(double, string)"#),
    (r#"regex.extractAll("abc", R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: regex.extractAll(string, list)"#),
    (r#"regex.extractAll("abc", R.attr.v)"#, r#"true"#, r#"no such overload: regex.extractAll(string, bool)"#),
    (r#"regex.extractAll("abc", R.attr.v)"#, r#"3"#, r#"no such overload: regex.extractAll(string, double)"#),
    (r#"ip(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: ip(list)"#),
    (r#"ip(R.attr.v)"#, r#""abc""#, r#"IP Address "abc" parse error during conversion from string: ParseAddr("abc"): unable to parse IP"#),
    (r#"ip(R.attr.v)"#, r#""""#, r#"IP Address "" parse error during conversion from string: ParseAddr(""): unable to parse IP"#),
    (r#"cidr(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: cidr(list)"#),
    (r#"cidr(R.attr.v)"#, r#""abc""#, r#"CIDR "abc" parse error during conversion from string: netip.ParsePrefix("abc"): no '/'"#),
    (r#"cidr(R.attr.v)"#, r#""""#, r#"CIDR "" parse error during conversion from string: netip.ParsePrefix(""): no '/'"#),
    (r#"isIP(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: isIP(list)"#),
    (r#"isIP(R.attr.v)"#, r#"true"#, r#"no such overload: isIP(bool)"#),
    (r#"isIP(R.attr.v)"#, r#"3"#, r#"no such overload: isIP(double)"#),
    (r#"isCIDR(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: isCIDR(list)"#),
    (r#"isCIDR(R.attr.v)"#, r#"true"#, r#"no such overload: isCIDR(bool)"#),
    (r#"isCIDR(R.attr.v)"#, r#"3"#, r#"no such overload: isCIDR(double)"#),
    (r#"ip.isCanonical(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: ip.isCanonical(list)"#),
    (r#"ip.isCanonical(R.attr.v)"#, r#""abc""#, r#"IP Address "abc" parse error during conversion from string: ParseAddr("abc"): unable to parse IP"#),
    (r#"ip.isCanonical(R.attr.v)"#, r#""""#, r#"IP Address "" parse error during conversion from string: ParseAddr(""): unable to parse IP"#),
    (r#"R.attr.v.family()"#, r#"[1,"a"]"#, r#"no such overload: family(list)"#),
    (r#"R.attr.v.family()"#, r#""abc""#, r#"no such overload: family(string)"#),
    (r#"R.attr.v.family()"#, r#"true"#, r#"no such overload: family(bool)"#),
    (r#"R.attr.v.isUnspecified()"#, r#"[1,"a"]"#, r#"no such overload: isUnspecified(list)"#),
    (r#"R.attr.v.isUnspecified()"#, r#""abc""#, r#"no such overload: isUnspecified(string)"#),
    (r#"R.attr.v.isUnspecified()"#, r#"true"#, r#"no such overload: isUnspecified(bool)"#),
    (r#"R.attr.v.isLoopback()"#, r#"[1,"a"]"#, r#"no such overload: isLoopback(list)"#),
    (r#"R.attr.v.isLoopback()"#, r#""abc""#, r#"no such overload: isLoopback(string)"#),
    (r#"R.attr.v.isLoopback()"#, r#"true"#, r#"no such overload: isLoopback(bool)"#),
    (r#"R.attr.v.isGlobalUnicast()"#, r#"[1,"a"]"#, r#"no such overload: isGlobalUnicast(list)"#),
    (r#"R.attr.v.isGlobalUnicast()"#, r#""abc""#, r#"no such overload: isGlobalUnicast(string)"#),
    (r#"R.attr.v.isGlobalUnicast()"#, r#"true"#, r#"no such overload: isGlobalUnicast(bool)"#),
    (r#"R.attr.v.isLinkLocalMulticast()"#, r#"[1,"a"]"#, r#"no such overload: isLinkLocalMulticast(list)"#),
    (r#"R.attr.v.isLinkLocalMulticast()"#, r#""abc""#, r#"no such overload: isLinkLocalMulticast(string)"#),
    (r#"R.attr.v.isLinkLocalMulticast()"#, r#"true"#, r#"no such overload: isLinkLocalMulticast(bool)"#),
    (r#"R.attr.v.isLinkLocalUnicast()"#, r#"[1,"a"]"#, r#"no such overload: isLinkLocalUnicast(list)"#),
    (r#"R.attr.v.isLinkLocalUnicast()"#, r#""abc""#, r#"no such overload: isLinkLocalUnicast(string)"#),
    (r#"R.attr.v.isLinkLocalUnicast()"#, r#"true"#, r#"no such overload: isLinkLocalUnicast(bool)"#),
    (r#"R.attr.v.containsIP("10.0.0.1")"#, r#"[1,"a"]"#, r#"no such overload: containsIP(list, string)"#),
    (r#"R.attr.v.containsIP("10.0.0.1")"#, r#""abc""#, r#"no such overload: containsIP(string, string)"#),
    (r#"R.attr.v.containsIP("10.0.0.1")"#, r#"true"#, r#"no such overload: containsIP(bool, string)"#),
    (r#"R.attr.v.containsCIDR("10.0.0.0/8")"#, r#"[1,"a"]"#, r#"no such overload: containsCIDR(list, string)"#),
    (r#"R.attr.v.containsCIDR("10.0.0.0/8")"#, r#""abc""#, r#"no such overload: containsCIDR(string, string)"#),
    (r#"R.attr.v.containsCIDR("10.0.0.0/8")"#, r#"true"#, r#"no such overload: containsCIDR(bool, string)"#),
    (r#"cidr("10.0.0.0/8").containsIP(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: containsIP(net.CIDR, list)"#),
    (r#"cidr("10.0.0.0/8").containsIP(R.attr.v)"#, r#""abc""#, r#"IP Address "abc" parse error during conversion from string: ParseAddr("abc"): unable to parse IP"#),
    (r#"cidr("10.0.0.0/8").containsIP(R.attr.v)"#, r#""""#, r#"IP Address "" parse error during conversion from string: ParseAddr(""): unable to parse IP"#),
    (r#"cidr("10.0.0.0/8").containsCIDR(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: containsCIDR(net.CIDR, list)"#),
    (r#"cidr("10.0.0.0/8").containsCIDR(R.attr.v)"#, r#""abc""#, r#"CIDR "abc" parse error during conversion from string: netip.ParsePrefix("abc"): no '/'"#),
    (r#"cidr("10.0.0.0/8").containsCIDR(R.attr.v)"#, r#""""#, r#"CIDR "" parse error during conversion from string: netip.ParsePrefix(""): no '/'"#),
    (r#"R.attr.v.masked()"#, r#"[1,"a"]"#, r#"no such overload: masked(list)"#),
    (r#"R.attr.v.masked()"#, r#""abc""#, r#"no such overload: masked(string)"#),
    (r#"R.attr.v.masked()"#, r#"true"#, r#"no such overload: masked(bool)"#),
    (r#"R.attr.v.isMask()"#, r#"[1,"a"]"#, r#"no such overload: isMask(list)"#),
    (r#"R.attr.v.isMask()"#, r#""abc""#, r#"no such overload: isMask(string)"#),
    (r#"R.attr.v.isMask()"#, r#"true"#, r#"no such overload: isMask(bool)"#),
    (r#"R.attr.v.prefixLength()"#, r#"[1,"a"]"#, r#"no such overload: prefixLength(list)"#),
    (r#"R.attr.v.prefixLength()"#, r#""abc""#, r#"no such overload: prefixLength(string)"#),
    (r#"R.attr.v.prefixLength()"#, r#"true"#, r#"no such overload: prefixLength(bool)"#),
    (r#"ip(R.attr.v).family()"#, r#"[1,"a"]"#, r#"no such overload: ip(list)"#),
    (r#"ip(R.attr.v).family()"#, r#""abc""#, r#"IP Address "abc" parse error during conversion from string: ParseAddr("abc"): unable to parse IP"#),
    (r#"ip(R.attr.v).family()"#, r#""""#, r#"IP Address "" parse error during conversion from string: ParseAddr(""): unable to parse IP"#),
    (r#"cidr(R.attr.v).prefixLength()"#, r#"[1,"a"]"#, r#"no such overload: cidr(list)"#),
    (r#"cidr(R.attr.v).prefixLength()"#, r#""abc""#, r#"CIDR "abc" parse error during conversion from string: netip.ParsePrefix("abc"): no '/'"#),
    (r#"cidr(R.attr.v).prefixLength()"#, r#""""#, r#"CIDR "" parse error during conversion from string: netip.ParsePrefix(""): no '/'"#),
    (r#"R.attr.v.inIPAddrRange("10.0.0.0/8")"#, r#"[1,"a"]"#, r#"no such overload: inIPAddrRange(list, string)"#),
    (r#"R.attr.v.inIPAddrRange("10.0.0.0/8")"#, r#""abc""#, r#"invalid IP address: abc"#),
    (r#"R.attr.v.inIPAddrRange("10.0.0.0/8")"#, r#""""#, r#"invalid IP address: "#),
    (r#""10.0.0.1".inIPAddrRange(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: inIPAddrRange(string, list)"#),
    (r#""10.0.0.1".inIPAddrRange(R.attr.v)"#, r#""abc""#, r#"invalid CIDR address: abc"#),
    (r#""10.0.0.1".inIPAddrRange(R.attr.v)"#, r#""""#, r#"invalid CIDR address: "#),
    (r#"hierarchy(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: hierarchy(list)"#),
    (r#"hierarchy(R.attr.v)"#, r#"true"#, r#"no such overload: hierarchy(bool)"#),
    (r#"hierarchy(R.attr.v)"#, r#"3"#, r#"no such overload: hierarchy(double)"#),
    (r#"hierarchy(R.attr.v, ":")"#, r#"[1,"a"]"#, r#"no such overload: hierarchy(list, string)"#),
    (r#"hierarchy(R.attr.v, ":")"#, r#"true"#, r#"no such overload: hierarchy(bool, string)"#),
    (r#"hierarchy(R.attr.v, ":")"#, r#"3"#, r#"no such overload: hierarchy(double, string)"#),
    (r#"hierarchy("a.b", R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: hierarchy(string, list)"#),
    (r#"hierarchy("a.b", R.attr.v)"#, r#"true"#, r#"no such overload: hierarchy(string, bool)"#),
    (r#"hierarchy("a.b", R.attr.v)"#, r#"3"#, r#"no such overload: hierarchy(string, double)"#),
    (r#"hierarchy("a.b").ancestorOf(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload"#),
    (r#"hierarchy("a.b").ancestorOf(hierarchy(R.attr.v))"#, r#"[1,"a"]"#, r#"no such overload: hierarchy(list)"#),
    (r#"hierarchy("a.b").ancestorOf(hierarchy(R.attr.v))"#, r#"true"#, r#"no such overload: hierarchy(bool)"#),
    (r#"hierarchy("a.b").ancestorOf(hierarchy(R.attr.v))"#, r#"3"#, r#"no such overload: hierarchy(double)"#),
    (r#"hierarchy("a.b").descendentOf(hierarchy(R.attr.v))"#, r#"[1,"a"]"#, r#"no such overload: hierarchy(list)"#),
    (r#"hierarchy("a.b").descendentOf(hierarchy(R.attr.v))"#, r#"true"#, r#"no such overload: hierarchy(bool)"#),
    (r#"hierarchy("a.b").descendentOf(hierarchy(R.attr.v))"#, r#"3"#, r#"no such overload: hierarchy(double)"#),
    (r#"hierarchy("a.b").immediateParentOf(hierarchy(R.attr.v))"#, r#"[1,"a"]"#, r#"no such overload: hierarchy(list)"#),
    (r#"hierarchy("a.b").immediateParentOf(hierarchy(R.attr.v))"#, r#"true"#, r#"no such overload: hierarchy(bool)"#),
    (r#"hierarchy("a.b").immediateParentOf(hierarchy(R.attr.v))"#, r#"3"#, r#"no such overload: hierarchy(double)"#),
    (r#"hierarchy("a.b").immediateChildOf(hierarchy(R.attr.v))"#, r#"[1,"a"]"#, r#"no such overload: hierarchy(list)"#),
    (r#"hierarchy("a.b").immediateChildOf(hierarchy(R.attr.v))"#, r#"true"#, r#"no such overload: hierarchy(bool)"#),
    (r#"hierarchy("a.b").immediateChildOf(hierarchy(R.attr.v))"#, r#"3"#, r#"no such overload: hierarchy(double)"#),
    (r#"hierarchy("a.b").siblingOf(hierarchy(R.attr.v))"#, r#"[1,"a"]"#, r#"no such overload: hierarchy(list)"#),
    (r#"hierarchy("a.b").siblingOf(hierarchy(R.attr.v))"#, r#"true"#, r#"no such overload: hierarchy(bool)"#),
    (r#"hierarchy("a.b").siblingOf(hierarchy(R.attr.v))"#, r#"3"#, r#"no such overload: hierarchy(double)"#),
    (r#"hierarchy("a.b").overlaps(hierarchy(R.attr.v))"#, r#"[1,"a"]"#, r#"no such overload: hierarchy(list)"#),
    (r#"hierarchy("a.b").overlaps(hierarchy(R.attr.v))"#, r#"true"#, r#"no such overload: hierarchy(bool)"#),
    (r#"hierarchy("a.b").overlaps(hierarchy(R.attr.v))"#, r#"3"#, r#"no such overload: hierarchy(double)"#),
    (r#"hierarchy("a.b").commonAncestors(hierarchy(R.attr.v))"#, r#"[1,"a"]"#, r#"no such overload: hierarchy(list)"#),
    (r#"hierarchy("a.b").commonAncestors(hierarchy(R.attr.v))"#, r#"true"#, r#"no such overload: hierarchy(bool)"#),
    (r#"hierarchy("a.b").commonAncestors(hierarchy(R.attr.v))"#, r#"3"#, r#"no such overload: hierarchy(double)"#),
    (r#"hierarchy(R.attr.v).size()"#, r#"[1,"a"]"#, r#"no such overload: hierarchy(list)"#),
    (r#"hierarchy(R.attr.v).size()"#, r#"true"#, r#"no such overload: hierarchy(bool)"#),
    (r#"hierarchy(R.attr.v).size()"#, r#"3"#, r#"no such overload: hierarchy(double)"#),
    (r#"hierarchy(R.attr.v)[0]"#, r#"[1,"a"]"#, r#"no such overload: hierarchy(list)"#),
    (r#"hierarchy(R.attr.v)[0]"#, r#"[]"#, r#"index out of range"#),
    (r#"hierarchy(R.attr.v)[0]"#, r#"true"#, r#"no such overload: hierarchy(bool)"#),
    (r#"R.attr.v.ancestorOf(hierarchy("a"))"#, r#"[1,"a"]"#, r#"no such overload: ancestorOf"#),
    (r#"R.attr.v.ancestorOf(hierarchy("a"))"#, r#""abc""#, r#"no such overload"#),
    (r#"spiffeID(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: spiffeID(list)"#),
    (r#"spiffeID(R.attr.v)"#, r#""abc""#, r#"failed to parse SPIFFE ID: scheme is missing or invalid"#),
    (r#"spiffeID(R.attr.v)"#, r#""""#, r#"failed to parse SPIFFE ID: cannot be empty"#),
    (r#"spiffeID(R.attr.v).path()"#, r#"[1,"a"]"#, r#"no such overload: spiffeID(list)"#),
    (r#"spiffeID(R.attr.v).path()"#, r#""abc""#, r#"failed to parse SPIFFE ID: scheme is missing or invalid"#),
    (r#"spiffeID(R.attr.v).path()"#, r#""""#, r#"failed to parse SPIFFE ID: cannot be empty"#),
    (r#"spiffeID(R.attr.v).trustDomain()"#, r#"[1,"a"]"#, r#"no such overload: spiffeID(list)"#),
    (r#"spiffeID(R.attr.v).trustDomain()"#, r#""abc""#, r#"failed to parse SPIFFE ID: scheme is missing or invalid"#),
    (r#"spiffeID(R.attr.v).trustDomain()"#, r#""""#, r#"failed to parse SPIFFE ID: cannot be empty"#),
    (r#"spiffeID(R.attr.v).isMemberOf(spiffeTrustDomain("spiffe://a"))"#, r#"[1,"a"]"#, r#"no such overload: spiffeID(list)"#),
    (r#"spiffeID(R.attr.v).isMemberOf(spiffeTrustDomain("spiffe://a"))"#, r#""abc""#, r#"failed to parse SPIFFE ID: scheme is missing or invalid"#),
    (r#"spiffeID(R.attr.v).isMemberOf(spiffeTrustDomain("spiffe://a"))"#, r#""""#, r#"failed to parse SPIFFE ID: cannot be empty"#),
    (r#"spiffeTrustDomain(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: spiffeTrustDomain(list)"#),
    (r#"spiffeTrustDomain(R.attr.v)"#, r#""""#, r#"failed to parse SPIFFE trust domain: trust domain is missing"#),
    (r#"spiffeTrustDomain(R.attr.v)"#, r#"true"#, r#"no such overload: spiffeTrustDomain(bool)"#),
    (r#"spiffeTrustDomain(R.attr.v).name()"#, r#"[1,"a"]"#, r#"no such overload: spiffeTrustDomain(list)"#),
    (r#"spiffeTrustDomain(R.attr.v).name()"#, r#""""#, r#"failed to parse SPIFFE trust domain: trust domain is missing"#),
    (r#"spiffeTrustDomain(R.attr.v).name()"#, r#"true"#, r#"no such overload: spiffeTrustDomain(bool)"#),
    (r#"spiffeMatchExact(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: spiffeMatchExact(list)"#),
    (r#"spiffeMatchExact(R.attr.v)"#, r#""abc""#, r#"failed to parse SPIFFE ID: scheme is missing or invalid"#),
    (r#"spiffeMatchExact(R.attr.v)"#, r#""""#, r#"failed to parse SPIFFE ID: cannot be empty"#),
    (r#"spiffeMatchOneOf(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: spiffeMatchOneOf(list)"#),
    (r#"spiffeMatchOneOf(R.attr.v)"#, r#"["b","a"]"#, r#"no such overload"#),
    (r#"spiffeMatchOneOf(R.attr.v)"#, r#""abc""#, r#"no such overload: spiffeMatchOneOf(string)"#),
    (r#"spiffeMatchOneOf([R.attr.v])"#, r#"[1,"a"]"#, r#"no such overload: spiffeMatchOneOf(list)"#),
    (r#"spiffeMatchOneOf([R.attr.v])"#, r#""abc""#, r#"no such overload"#),
    (r#"spiffeMatchTrustDomain(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: spiffeMatchTrustDomain(list)"#),
    (r#"spiffeMatchTrustDomain(R.attr.v)"#, r#""""#, r#"failed to parse SPIFFE trust domain: trust domain is missing"#),
    (r#"spiffeMatchTrustDomain(R.attr.v)"#, r#"true"#, r#"no such overload: spiffeMatchTrustDomain(bool)"#),
    (r#"spiffeMatchAny().matchesID(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload"#),
    (r#"spiffeMatchAny().matchesID(R.attr.v)"#, r#""abc""#, r#"invalid SPIFFE ID: scheme is missing or invalid"#),
    (r#"spiffeMatchAny().matchesID(R.attr.v)"#, r#""""#, r#"invalid SPIFFE ID: cannot be empty"#),
    (r#"spiffeMatchExact(spiffeID("spiffe://a/b")).matchesID(spiffeID(R.attr.v))"#, r#"[1,"a"]"#, r#"no such overload: spiffeID(list)"#),
    (r#"spiffeMatchExact(spiffeID("spiffe://a/b")).matchesID(spiffeID(R.attr.v))"#, r#""abc""#, r#"failed to parse SPIFFE ID: scheme is missing or invalid"#),
    (r#"spiffeMatchExact(spiffeID("spiffe://a/b")).matchesID(spiffeID(R.attr.v))"#, r#""""#, r#"failed to parse SPIFFE ID: cannot be empty"#),
    (r#"R.attr.v.path()"#, r#"[1,"a"]"#, r#"no such overload: path"#),
    (r#"R.attr.v.path()"#, r#""abc""#, r#"no such overload"#),
    (r#"R.attr.v.name()"#, r#"[1,"a"]"#, r#"no such overload: name"#),
    (r#"R.attr.v.name()"#, r#""abc""#, r#"no such overload"#),
    (r#"[1, 2].all(x, x < R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload"#),
    (r#"[1, 2].map(x, x + R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload"#),
    (r#"[1, 2].filter(x, R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload"#),
    (r#"[1, 2].exists_one(x, R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload"#),
    (r#"cel.bind(x, R.attr.v, x + 1)"#, r#"[1,"a"]"#, r#"no such overload"#),
    (r#"cel.bind(x, R.attr.v, x + 1)"#, r#"true"#, r#"no such overload: _+_"#),
    (r#"R.attr.v.?a"#, r#"[1,"a"]"#, r#"unsupported index type 'string' in list"#),
    (r#"R.attr.v[?"a"]"#, r#"[1,"a"]"#, r#"unsupported index type 'string' in list"#),
    (r#"R.attr.v.orValue(1)"#, r#"[1,"a"]"#, r#"no such overload"#),
    (r#"math.greatest(1, 2, R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: math.@max"#),
    (r#"math.least(R.attr.v, 1, 2)"#, r#"[1,"a"]"#, r#"no such overload: math.@min(list)"#),
    (r#"R.attr.v.sortBy(x, -x)"#, r#"[1,"a"]"#, r#"no such overload"#),
    (r#"R.attr.v.sortBy(x, -x)"#, r#"[[1],[2,[3]]]"#, r#"no such overload: -_"#),
    (r#"R.attr.v.sortBy(x, -x)"#, r#""abc""#, r#"got 'types.String', expected iterable type"#),
    (r#"R.attr.v[0]"#, r#"[]"#, r#"index out of bounds: 0"#),
    (r#"R.attr.v[0]"#, r#""abc""#, r#"no such key: 0"#),
    (r#""%s".format(R.attr.v)"#, r#"[]"#, r#"index 0 out of range"#),
    (r#""%s".format(R.attr.v)"#, r#""abc""#, r#"no such overload: format(string, string)"#),
    (r#""%s".format(R.attr.v)"#, r#"true"#, r#"no such overload: format(string, bool)"#),
    (r#"R.attr.v.slice(0, 1)"#, r#"[]"#, r#"cannot slice(0, 1), list is length 0"#),
    (r#"R.attr.v.slice(0, 1)"#, r#""abc""#, r#"no such overload: slice(string, int, int)"#),
    (r#"R.attr.v.slice(0, 1)"#, r#"true"#, r#"no such overload: slice(bool, int, int)"#),
    (r#"1 in R.attr.v"#, r#""abc""#, r#"no such overload"#),
    (r#""a" in R.attr.v"#, r#""abc""#, r#"no such overload"#),
    (r#"R.attr.v + [1]"#, r#""abc""#, r#"no such overload"#),
    (r#"R.attr.v + [1]"#, r#"true"#, r#"no such overload: _+_"#),
    (r#"[1] + R.attr.v"#, r#""abc""#, r#"no such overload"#),
    (r#"R.attr.v.flatten()"#, r#""abc""#, r#"no such overload: string.flatten()"#),
    (r#"R.attr.v.flatten()"#, r#"true"#, r#"no such overload: bool.flatten()"#),
    (r#"R.attr.v.flatten()"#, r#"3"#, r#"no such overload: double.flatten()"#),
    (r#"R.attr.v.flatten(1)"#, r#""abc""#, r#"no such overload: string.flatten(int)"#),
    (r#"R.attr.v.flatten(1)"#, r#"true"#, r#"no such overload: bool.flatten(int)"#),
    (r#"R.attr.v.flatten(1)"#, r#"3"#, r#"no such overload: double.flatten(int)"#),
    (r#"R.attr.v.distinct()"#, r#""abc""#, r#"no such overload: distinct(string)"#),
    (r#"R.attr.v.distinct()"#, r#"true"#, r#"no such overload: distinct(bool)"#),
    (r#"R.attr.v.distinct()"#, r#"3"#, r#"no such overload: distinct(double)"#),
    (r#"R.attr.v.first()"#, r#""abc""#, r#"no such overload: first(string)"#),
    (r#"R.attr.v.first()"#, r#"true"#, r#"no such overload: first(bool)"#),
    (r#"R.attr.v.first()"#, r#"3"#, r#"no such overload: first(double)"#),
    (r#"R.attr.v.last()"#, r#""abc""#, r#"no such overload: last(string)"#),
    (r#"R.attr.v.last()"#, r#"true"#, r#"no such overload: last(bool)"#),
    (r#"R.attr.v.last()"#, r#"3"#, r#"no such overload: last(double)"#),
    (r#"sets.contains(R.attr.v, [1])"#, r#""abc""#, r#"no such overload: sets.contains(string, list)"#),
    (r#"sets.contains(R.attr.v, [1])"#, r#"true"#, r#"no such overload: sets.contains(bool, list)"#),
    (r#"sets.contains(R.attr.v, [1])"#, r#"3"#, r#"no such overload: sets.contains(double, list)"#),
    (r#"sets.contains([1], R.attr.v)"#, r#""abc""#, r#"no such overload: sets.contains(list, string)"#),
    (r#"sets.contains([1], R.attr.v)"#, r#"true"#, r#"no such overload: sets.contains(list, bool)"#),
    (r#"sets.contains([1], R.attr.v)"#, r#"3"#, r#"no such overload: sets.contains(list, double)"#),
    (r#"sets.equivalent(R.attr.v, [1])"#, r#""abc""#, r#"no such overload: sets.equivalent(string, list)"#),
    (r#"sets.equivalent(R.attr.v, [1])"#, r#"true"#, r#"no such overload: sets.equivalent(bool, list)"#),
    (r#"sets.equivalent(R.attr.v, [1])"#, r#"3"#, r#"no such overload: sets.equivalent(double, list)"#),
    (r#"sets.intersects(R.attr.v, [1])"#, r#""abc""#, r#"no such overload: sets.intersects(string, list)"#),
    (r#"sets.intersects(R.attr.v, [1])"#, r#"true"#, r#"no such overload: sets.intersects(bool, list)"#),
    (r#"sets.intersects(R.attr.v, [1])"#, r#"3"#, r#"no such overload: sets.intersects(double, list)"#),
    (r#"sets.intersects([1], R.attr.v)"#, r#""abc""#, r#"no such overload: sets.intersects(list, string)"#),
    (r#"sets.intersects([1], R.attr.v)"#, r#"true"#, r#"no such overload: sets.intersects(list, bool)"#),
    (r#"sets.intersects([1], R.attr.v)"#, r#"3"#, r#"no such overload: sets.intersects(list, double)"#),
    (r#"R.attr.v.intersect([1])"#, r#""abc""#, r#"no such overload: intersect(string, list)"#),
    (r#"R.attr.v.intersect([1])"#, r#"true"#, r#"no such overload: intersect(bool, list)"#),
    (r#"R.attr.v.intersect([1])"#, r#"3"#, r#"no such overload: intersect(double, list)"#),
    (r#"[1].intersect(R.attr.v)"#, r#""abc""#, r#"no such overload: intersect(list, string)"#),
    (r#"[1].intersect(R.attr.v)"#, r#"true"#, r#"no such overload: intersect(list, bool)"#),
    (r#"[1].intersect(R.attr.v)"#, r#"3"#, r#"no such overload: intersect(list, double)"#),
    (r#"R.attr.v.except([1])"#, r#""abc""#, r#"no such overload: except(string, list)"#),
    (r#"R.attr.v.except([1])"#, r#"true"#, r#"no such overload: except(bool, list)"#),
    (r#"R.attr.v.except([1])"#, r#"3"#, r#"no such overload: except(double, list)"#),
    (r#"[1].except(R.attr.v)"#, r#""abc""#, r#"no such overload: except(list, string)"#),
    (r#"[1].except(R.attr.v)"#, r#"true"#, r#"no such overload: except(list, bool)"#),
    (r#"[1].except(R.attr.v)"#, r#"3"#, r#"no such overload: except(list, double)"#),
    (r#"R.attr.v.hasIntersection([1])"#, r#""abc""#, r#"no such overload: hasIntersection(string, list)"#),
    (r#"R.attr.v.hasIntersection([1])"#, r#"true"#, r#"no such overload: hasIntersection(bool, list)"#),
    (r#"R.attr.v.hasIntersection([1])"#, r#"3"#, r#"no such overload: hasIntersection(double, list)"#),
    (r#"[1].hasIntersection(R.attr.v)"#, r#""abc""#, r#"no such overload: hasIntersection(list, string)"#),
    (r#"[1].hasIntersection(R.attr.v)"#, r#"true"#, r#"no such overload: hasIntersection(list, bool)"#),
    (r#"[1].hasIntersection(R.attr.v)"#, r#"3"#, r#"no such overload: hasIntersection(list, double)"#),
    (r#"hasIntersection(R.attr.v, [1])"#, r#""abc""#, r#"no such overload: hasIntersection(string, list)"#),
    (r#"hasIntersection(R.attr.v, [1])"#, r#"true"#, r#"no such overload: hasIntersection(bool, list)"#),
    (r#"hasIntersection(R.attr.v, [1])"#, r#"3"#, r#"no such overload: hasIntersection(double, list)"#),
    (r#"has_intersection(R.attr.v, [1])"#, r#""abc""#, r#"no such overload: has_intersection(string, list)"#),
    (r#"has_intersection(R.attr.v, [1])"#, r#"true"#, r#"no such overload: has_intersection(bool, list)"#),
    (r#"has_intersection(R.attr.v, [1])"#, r#"3"#, r#"no such overload: has_intersection(double, list)"#),
    (r#"R.attr.v.isSubset([1])"#, r#""abc""#, r#"no such overload: isSubset(string, list)"#),
    (r#"R.attr.v.isSubset([1])"#, r#"true"#, r#"no such overload: isSubset(bool, list)"#),
    (r#"R.attr.v.isSubset([1])"#, r#"3"#, r#"no such overload: isSubset(double, list)"#),
    (r#"[1].isSubset(R.attr.v)"#, r#""abc""#, r#"no such overload: isSubset(list, string)"#),
    (r#"[1].isSubset(R.attr.v)"#, r#"true"#, r#"no such overload: isSubset(list, bool)"#),
    (r#"[1].isSubset(R.attr.v)"#, r#"3"#, r#"no such overload: isSubset(list, double)"#),
    (r#"is_subset(R.attr.v, [1])"#, r#""abc""#, r#"no such overload: is_subset(string, list)"#),
    (r#"is_subset(R.attr.v, [1])"#, r#"true"#, r#"no such overload: is_subset(bool, list)"#),
    (r#"is_subset(R.attr.v, [1])"#, r#"3"#, r#"no such overload: is_subset(double, list)"#),
    (r#"R.attr.v.exists(x, x == 1)"#, r#""abc""#, r#"got 'types.String', expected iterable type"#),
    (r#"R.attr.v.exists(x, x == 1)"#, r#"true"#, r#"got 'types.Bool', expected iterable type"#),
    (r#"R.attr.v.exists(x, x == 1)"#, r#"3"#, r#"got 'types.Double', expected iterable type"#),
    (r#"R.attr.v.all(x, x == 1)"#, r#""abc""#, r#"got 'types.String', expected iterable type"#),
    (r#"R.attr.v.all(x, x == 1)"#, r#"true"#, r#"got 'types.Bool', expected iterable type"#),
    (r#"R.attr.v.all(x, x == 1)"#, r#"3"#, r#"got 'types.Double', expected iterable type"#),
    (r#"R.attr.v.exists_one(x, x == 1)"#, r#""abc""#, r#"got 'types.String', expected iterable type"#),
    (r#"R.attr.v.exists_one(x, x == 1)"#, r#"true"#, r#"got 'types.Bool', expected iterable type"#),
    (r#"R.attr.v.exists_one(x, x == 1)"#, r#"3"#, r#"got 'types.Double', expected iterable type"#),
    (r#"R.attr.v.map(x, x)"#, r#""abc""#, r#"got 'types.String', expected iterable type"#),
    (r#"R.attr.v.map(x, x)"#, r#"true"#, r#"got 'types.Bool', expected iterable type"#),
    (r#"R.attr.v.map(x, x)"#, r#"3"#, r#"got 'types.Double', expected iterable type"#),
    (r#"R.attr.v.map(x, true, x)"#, r#""abc""#, r#"got 'types.String', expected iterable type"#),
    (r#"R.attr.v.map(x, true, x)"#, r#"true"#, r#"got 'types.Bool', expected iterable type"#),
    (r#"R.attr.v.map(x, true, x)"#, r#"3"#, r#"got 'types.Double', expected iterable type"#),
    (r#"R.attr.v.filter(x, true)"#, r#""abc""#, r#"got 'types.String', expected iterable type"#),
    (r#"R.attr.v.filter(x, true)"#, r#"true"#, r#"got 'types.Bool', expected iterable type"#),
    (r#"R.attr.v.filter(x, true)"#, r#"3"#, r#"got 'types.Double', expected iterable type"#),
    (r#"R.attr.v.all(i, x, true)"#, r#""abc""#, r#"unsupported comprehension range type: types.String"#),
    (r#"R.attr.v.all(i, x, true)"#, r#"true"#, r#"unsupported comprehension range type: types.Bool"#),
    (r#"R.attr.v.all(i, x, true)"#, r#"3"#, r#"unsupported comprehension range type: types.Double"#),
    (r#"R.attr.v.exists(i, x, true)"#, r#""abc""#, r#"unsupported comprehension range type: types.String"#),
    (r#"R.attr.v.exists(i, x, true)"#, r#"true"#, r#"unsupported comprehension range type: types.Bool"#),
    (r#"R.attr.v.exists(i, x, true)"#, r#"3"#, r#"unsupported comprehension range type: types.Double"#),
    (r#"R.attr.v.transformList(i, x, x)"#, r#""abc""#, r#"unsupported comprehension range type: types.String"#),
    (r#"R.attr.v.transformList(i, x, x)"#, r#"true"#, r#"unsupported comprehension range type: types.Bool"#),
    (r#"R.attr.v.transformList(i, x, x)"#, r#"3"#, r#"unsupported comprehension range type: types.Double"#),
    (r#"R.attr.v.transformMap(k, x, x)"#, r#""abc""#, r#"unsupported comprehension range type: types.String"#),
    (r#"R.attr.v.transformMap(k, x, x)"#, r#"true"#, r#"unsupported comprehension range type: types.Bool"#),
    (r#"R.attr.v.transformMap(k, x, x)"#, r#"3"#, r#"unsupported comprehension range type: types.Double"#),
    (r#"intersect(R.attr.v, [1])"#, r#""abc""#, r#"no such overload: intersect(string, list)"#),
    (r#"intersect(R.attr.v, [1])"#, r#"true"#, r#"no such overload: intersect(bool, list)"#),
    (r#"intersect(R.attr.v, [1])"#, r#"3"#, r#"no such overload: intersect(double, list)"#),
    (r#"except(R.attr.v, [1])"#, r#""abc""#, r#"no such overload: except(string, list)"#),
    (r#"except(R.attr.v, [1])"#, r#"true"#, r#"no such overload: except(bool, list)"#),
    (r#"except(R.attr.v, [1])"#, r#"3"#, r#"no such overload: except(double, list)"#),
    (r#"hasIntersection([1], R.attr.v)"#, r#""abc""#, r#"no such overload: hasIntersection(list, string)"#),
    (r#"hasIntersection([1], R.attr.v)"#, r#"true"#, r#"no such overload: hasIntersection(list, bool)"#),
    (r#"hasIntersection([1], R.attr.v)"#, r#"3"#, r#"no such overload: hasIntersection(list, double)"#),
    (r#"isSubset(R.attr.v, [1])"#, r#""abc""#, r#"no such overload: isSubset(string, list)"#),
    (r#"isSubset(R.attr.v, [1])"#, r#"true"#, r#"no such overload: isSubset(bool, list)"#),
    (r#"isSubset(R.attr.v, [1])"#, r#"3"#, r#"no such overload: isSubset(double, list)"#),
    (r#"size(R.attr.v)"#, r#"true"#, r#"no such overload: size"#),
    (r#"R.attr.v.size()"#, r#"true"#, r#"no such overload: size"#),
    (r#"R.attr.v.reverse()"#, r#"true"#, r#"no such overload: reverse(bool)"#),
    (r#"R.attr.v.reverse()"#, r#"3"#, r#"no such overload: reverse(double)"#),
    (r#"R.attr.v.reverse()"#, r#"null"#, r#"no such overload: reverse(null_type)"#),
    (r#""abc".lastIndexOf("a", R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: lastIndexOf(string, string, list)"#),
    (r#""abc".lastIndexOf("a", R.attr.v)"#, r#""abc""#, r#"no such overload: lastIndexOf(string, string, string)"#),
    (r#""abc".lastIndexOf("a", R.attr.v)"#, r#"true"#, r#"no such overload: lastIndexOf(string, string, bool)"#),
    (r#""abc".substring(R.attr.v, 2)"#, r#"[1,"a"]"#, r#"no such overload: substring(string, list, int)"#),
    (r#""abc".substring(R.attr.v, 2)"#, r#""abc""#, r#"no such overload: substring(string, string, int)"#),
    (r#""abc".substring(R.attr.v, 2)"#, r#"true"#, r#"no such overload: substring(string, bool, int)"#),
    (r#"[1, 2, 3][R.attr.v]"#, r#"[1,"a"]"#, r#"invalid qualifier type: *types.baseList"#),
    (r#"[1, 2, 3][R.attr.v]"#, r#""abc""#, r#"unsupported index type 'string' in list"#),
    (r#"[1, 2, 3][R.attr.v]"#, r#"true"#, r#"unsupported index type 'bool' in list"#),
    (r#"{"a": 1}[R.attr.v]"#, r#"[1,"a"]"#, r#"invalid qualifier type: *types.baseList"#),
    (r#"{"a": 1}[R.attr.v]"#, r#""abc""#, r#"no such key: abc"#),
    (r#"{"a": 1}[R.attr.v]"#, r#""""#, r#"no such key: "#),
    (r#"[1, 2, 3].slice(R.attr.v, 2)"#, r#"[1,"a"]"#, r#"no such overload: slice(list, list, int)"#),
    (r#"[1, 2, 3].slice(R.attr.v, 2)"#, r#""abc""#, r#"no such overload: slice(list, string, int)"#),
    (r#"[1, 2, 3].slice(R.attr.v, 2)"#, r#"true"#, r#"no such overload: slice(list, bool, int)"#),
    (r#"[1, 2].flatten(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: list(dyn).flatten(list(dyn))"#),
    (r#"[1, 2].flatten(R.attr.v)"#, r#""abc""#, r#"no such overload: list(dyn).flatten(string)"#),
    (r#"[1, 2].flatten(R.attr.v)"#, r#"true"#, r#"no such overload: list(dyn).flatten(bool)"#),
    (r#"math.abs(R.attr.v) + 1.0"#, r#"[1,"a"]"#, r#"no such overload: math.abs(list)"#),
    (r#"math.abs(R.attr.v) + 1.0"#, r#""abc""#, r#"no such overload: math.abs(string)"#),
    (r#"math.abs(R.attr.v) + 1.0"#, r#"true"#, r#"no such overload: math.abs(bool)"#),
    (r#"math.round(R.attr.v) == 1.0"#, r#"[1,"a"]"#, r#"no such overload: math.round(list)"#),
    (r#"math.round(R.attr.v) == 1.0"#, r#""abc""#, r#"no such overload: math.round(string)"#),
    (r#"math.round(R.attr.v) == 1.0"#, r#"true"#, r#"no such overload: math.round(bool)"#),
    (r#"R.attr.v - R.attr.v"#, r#"[1,"a"]"#, r#"no such overload: _-_"#),
    (r#"R.attr.v - R.attr.v"#, r#""abc""#, r#"no such overload"#),
    (r#"R.attr.v * R.attr.v"#, r#"[1,"a"]"#, r#"no such overload: _*_"#),
    (r#"R.attr.v * R.attr.v"#, r#""abc""#, r#"no such overload"#),
    (r#"R.attr.v / R.attr.v"#, r#"[1,"a"]"#, r#"no such overload: _/_"#),
    (r#"R.attr.v / R.attr.v"#, r#""abc""#, r#"no such overload"#),
    (r#"R.attr.v % R.attr.v"#, r#"[1,"a"]"#, r#"no such overload: _%_"#),
    (r#"R.attr.v % R.attr.v"#, r#""abc""#, r#"no such overload"#),
    (r#"R.attr.v < R.attr.v"#, r#"[1,"a"]"#, r#"no such overload: _<_"#),
    (r#"int(R.attr.v) + 1"#, r#"[1,"a"]"#, r#"no such overload: int(list)"#),
    (r#"int(R.attr.v) + 1"#, r#""abc""#, r#"type conversion error from 'string' to 'int'"#),
    (r#"int(R.attr.v) + 1"#, r#"true"#, r#"no such overload: int(bool)"#),
    (r#"uint(R.attr.v) + 1u"#, r#"[1,"a"]"#, r#"no such overload: uint(list)"#),
    (r#"uint(R.attr.v) + 1u"#, r#""abc""#, r#"type conversion error from 'string' to 'uint'"#),
    (r#"uint(R.attr.v) + 1u"#, r#"true"#, r#"no such overload: uint(bool)"#),
    (r#"double(R.attr.v) + 1.0"#, r#"[1,"a"]"#, r#"no such overload: double(list)"#),
    (r#"double(R.attr.v) + 1.0"#, r#""abc""#, r#"type conversion error from 'string' to 'double'"#),
    (r#"double(R.attr.v) + 1.0"#, r#"true"#, r#"no such overload: double(bool)"#),
    (r#"string(R.attr.v) + "x""#, r#"[1,"a"]"#, r#"no such overload: string(list)"#),
    (r#"string(R.attr.v) + "x""#, r#"null"#, r#"no such overload: string(null_type)"#),
    (r#"string(R.attr.v) + "x""#, r#"{"a":1}"#, r#"no such overload: string(map)"#),
    (r#"bytes(R.attr.v) + b"x""#, r#"[1,"a"]"#, r#"no such overload: bytes(list)"#),
    (r#"bytes(R.attr.v) + b"x""#, r#"true"#, r#"no such overload: bytes(bool)"#),
    (r#"bytes(R.attr.v) + b"x""#, r#"3"#, r#"no such overload: bytes(double)"#),
    (r#"duration(R.attr.v) + duration("1s")"#, r#"[1,"a"]"#, r#"no such overload: duration(list)"#),
    (r#"duration(R.attr.v) + duration("1s")"#, r#""abc""#, r#"type conversion error from 'string' to 'google.protobuf.Duration'"#),
    (r#"duration(R.attr.v) + duration("1s")"#, r#"true"#, r#"no such overload: duration(bool)"#),
    (r#"timestamp(R.attr.v) + duration("1s")"#, r#"[1,"a"]"#, r#"no such overload: timestamp(list)"#),
    (r#"timestamp(R.attr.v) + duration("1s")"#, r#""abc""#, r#"invalid RFC 3339 timestamp "abc""#),
    (r#"timestamp(R.attr.v) + duration("1s")"#, r#""""#, r#"invalid RFC 3339 timestamp """#),
    (r#"timestamp(R.attr.v).getDayOfWeek("Europe/Paris")"#, r#"[1,"a"]"#, r#"no such overload: timestamp(list)"#),
    (r#"timestamp(R.attr.v).getDayOfWeek("Europe/Paris")"#, r#""abc""#, r#"invalid RFC 3339 timestamp "abc""#),
    (r#"timestamp(R.attr.v).getDayOfWeek("Europe/Paris")"#, r#""""#, r#"invalid RFC 3339 timestamp """#),
    (r#"timestamp("2024-01-01T00:00:00Z").getDayOfWeek(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: getDayOfWeek(google.protobuf.Timestamp, list)"#),
    (r#"timestamp("2024-01-01T00:00:00Z").getDayOfWeek(R.attr.v)"#, r#""abc""#, r#"unknown time zone abc"#),
    (r#"timestamp("2024-01-01T00:00:00Z").getDayOfWeek(R.attr.v)"#, r#"true"#, r#"no such overload: getDayOfWeek(google.protobuf.Timestamp, bool)"#),
    (r#"timestamp("2024-01-01T00:00:00Z") + duration(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: duration(list)"#),
    (r#"timestamp("2024-01-01T00:00:00Z") + duration(R.attr.v)"#, r#""abc""#, r#"type conversion error from 'string' to 'google.protobuf.Duration'"#),
    (r#"timestamp("2024-01-01T00:00:00Z") + duration(R.attr.v)"#, r#"true"#, r#"no such overload: duration(bool)"#),
    (r#"timestamp("2024-01-01T00:00:00Z") - R.attr.v"#, r#"[1,"a"]"#, r#"no such overload"#),
    (r#"duration("1h") + R.attr.v"#, r#"[1,"a"]"#, r#"no such overload"#),
    (r#"int(timestamp(R.attr.v))"#, r#"[1,"a"]"#, r#"no such overload: timestamp(list)"#),
    (r#"int(timestamp(R.attr.v))"#, r#""abc""#, r#"invalid RFC 3339 timestamp "abc""#),
    (r#"int(timestamp(R.attr.v))"#, r#""""#, r#"invalid RFC 3339 timestamp """#),
    (r#"int(duration(R.attr.v))"#, r#"[1,"a"]"#, r#"no such overload: duration(list)"#),
    (r#"int(duration(R.attr.v))"#, r#""abc""#, r#"type conversion error from 'string' to 'google.protobuf.Duration'"#),
    (r#"int(duration(R.attr.v))"#, r#"true"#, r#"no such overload: duration(bool)"#),
    (r#"string(timestamp(R.attr.v))"#, r#"[1,"a"]"#, r#"no such overload: timestamp(list)"#),
    (r#"string(timestamp(R.attr.v))"#, r#""abc""#, r#"invalid RFC 3339 timestamp "abc""#),
    (r#"string(timestamp(R.attr.v))"#, r#""""#, r#"invalid RFC 3339 timestamp """#),
    (r#"string(duration(R.attr.v))"#, r#"[1,"a"]"#, r#"no such overload: duration(list)"#),
    (r#"string(duration(R.attr.v))"#, r#""abc""#, r#"type conversion error from 'string' to 'google.protobuf.Duration'"#),
    (r#"string(duration(R.attr.v))"#, r#"true"#, r#"no such overload: duration(bool)"#),
    (r#"R.attr.v.all(x, x > 0)"#, r#"[1,"a"]"#, r#"no such overload"#),
    (r#"R.attr.v.all(x, x > 0)"#, r#"[[1],[2,[3]]]"#, r#"no such overload: _>_"#),
    (r#"R.attr.v.all(x, x > 0)"#, r#""abc""#, r#"got 'types.String', expected iterable type"#),
    (r#"R.attr.v.map(x, x * 2)"#, r#"[1,"a"]"#, r#"no such overload"#),
    (r#"R.attr.v.map(x, x * 2)"#, r#"[[1],[2,[3]]]"#, r#"no such overload: _*_"#),
    (r#"R.attr.v.map(x, x * 2)"#, r#""abc""#, r#"got 'types.String', expected iterable type"#),
    (r#"R.attr.v.filter(x, x > 0)"#, r#"[1,"a"]"#, r#"no such overload"#),
    (r#"R.attr.v.filter(x, x > 0)"#, r#"[[1],[2,[3]]]"#, r#"no such overload: _>_"#),
    (r#"R.attr.v.filter(x, x > 0)"#, r#""abc""#, r#"got 'types.String', expected iterable type"#),
    (r#"R.attr.v.exists_one(x, x > 0)"#, r#"[1,"a"]"#, r#"no such overload"#),
    (r#"R.attr.v.exists_one(x, x > 0)"#, r#"[[1],[2,[3]]]"#, r#"no such overload: _>_"#),
    (r#"R.attr.v.exists_one(x, x > 0)"#, r#""abc""#, r#"got 'types.String', expected iterable type"#),
    (r#"R.attr.v.map(x, x > 0, x)"#, r#"[1,"a"]"#, r#"no such overload"#),
    (r#"R.attr.v.map(x, x > 0, x)"#, r#"[[1],[2,[3]]]"#, r#"no such overload: _>_"#),
    (r#"R.attr.v.map(x, x > 0, x)"#, r#""abc""#, r#"got 'types.String', expected iterable type"#),
    (r#"R.attr.v.exists(x, x.y == 1)"#, r#"[1,"a"]"#, r#"no such key: y"#),
    (r#"R.attr.v.exists(x, x.y == 1)"#, r#"[[1],[2,[3]]]"#, r#"unsupported index type 'string' in list"#),
    (r#"R.attr.v.exists(x, x.y == 1)"#, r#""abc""#, r#"got 'types.String', expected iterable type"#),
    (r#"R.attr.v.sortBy(x, x.a)"#, r#"[1,"a"]"#, r#"no such key: a"#),
    (r#"R.attr.v.sortBy(x, x.a)"#, r#"[[1],[2,[3]]]"#, r#"unsupported index type 'string' in list"#),
    (r#"R.attr.v.sortBy(x, x.a)"#, r#""abc""#, r#"got 'types.String', expected iterable type"#),
    (r#"basePath(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: basePath(list)"#),
    (r#"basePath(R.attr.v)"#, r#"true"#, r#"no such overload: basePath(bool)"#),
    (r#"basePath(R.attr.v)"#, r#"3"#, r#"no such overload: basePath(double)"#),
    (r#"dirPath(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: dirPath(list)"#),
    (r#"dirPath(R.attr.v)"#, r#"true"#, r#"no such overload: dirPath(bool)"#),
    (r#"dirPath(R.attr.v)"#, r#"3"#, r#"no such overload: dirPath(double)"#),
    (r#"extPath(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: extPath(list)"#),
    (r#"extPath(R.attr.v)"#, r#"true"#, r#"no such overload: extPath(bool)"#),
    (r#"extPath(R.attr.v)"#, r#"3"#, r#"no such overload: extPath(double)"#),
    (r#"volumeName(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: volumeName(list)"#),
    (r#"volumeName(R.attr.v)"#, r#"true"#, r#"no such overload: volumeName(bool)"#),
    (r#"volumeName(R.attr.v)"#, r#"3"#, r#"no such overload: volumeName(double)"#),
    (r#"joinPath(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: joinPath(list)"#),
    (r#"joinPath(R.attr.v)"#, r#""abc""#, r#"no such overload: joinPath(string)"#),
    (r#"joinPath(R.attr.v)"#, r#"true"#, r#"no such overload: joinPath(bool)"#),
    (r#"relPath(R.attr.v, "a")"#, r#"[1,"a"]"#, r#"no such overload: relPath(list, string)"#),
    (r#"relPath(R.attr.v, "a")"#, r#"true"#, r#"no such overload: relPath(bool, string)"#),
    (r#"relPath(R.attr.v, "a")"#, r#"3"#, r#"no such overload: relPath(double, string)"#),
    (r#"relPath("a", R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: relPath(string, list)"#),
    (r#"relPath("a", R.attr.v)"#, r#"true"#, r#"no such overload: relPath(string, bool)"#),
    (r#"relPath("a", R.attr.v)"#, r#"3"#, r#"no such overload: relPath(string, double)"#),
    (r#"pathHasPrefix(R.attr.v, "a")"#, r#"[1,"a"]"#, r#"no such overload: pathHasPrefix(list, string)"#),
    (r#"pathHasPrefix(R.attr.v, "a")"#, r#"true"#, r#"no such overload: pathHasPrefix(bool, string)"#),
    (r#"pathHasPrefix(R.attr.v, "a")"#, r#"3"#, r#"no such overload: pathHasPrefix(double, string)"#),
    (r#"pathMatch(R.attr.v, "a*")"#, r#"[1,"a"]"#, r#"no such overload: pathMatch(list, string)"#),
    (r#"pathMatch(R.attr.v, "a*")"#, r#"true"#, r#"no such overload: pathMatch(bool, string)"#),
    (r#"pathMatch(R.attr.v, "a*")"#, r#"3"#, r#"no such overload: pathMatch(double, string)"#),
    (r#"pathMatch("abc", R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: pathMatch(string, list)"#),
    (r#"pathMatch("abc", R.attr.v)"#, r#"true"#, r#"no such overload: pathMatch(string, bool)"#),
    (r#"pathMatch("abc", R.attr.v)"#, r#"3"#, r#"no such overload: pathMatch(string, double)"#),
    (r#"pathMatchAnyOf(R.attr.v, ["a*"])"#, r#"[1,"a"]"#, r#"no such overload: pathMatchAnyOf(list, list)"#),
    (r#"pathMatchAnyOf(R.attr.v, ["a*"])"#, r#"true"#, r#"no such overload: pathMatchAnyOf(bool, list)"#),
    (r#"pathMatchAnyOf(R.attr.v, ["a*"])"#, r#"3"#, r#"no such overload: pathMatchAnyOf(double, list)"#),
    (r#"pathMatchAnyOf("abc", R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload: pathMatchAnyOf(string, list)"#),
    (r#"pathMatchAnyOf("abc", R.attr.v)"#, r#""abc""#, r#"no such overload: pathMatchAnyOf(string, string)"#),
    (r#"pathMatchAnyOf("abc", R.attr.v)"#, r#"true"#, r#"no such overload: pathMatchAnyOf(string, bool)"#),
    (r#"R.attr.v.or(optional.none())"#, r#"[1,"a"]"#, r#"no such overload"#),
    (r#"R.attr.v.hasValue()"#, r#"[1,"a"]"#, r#"no such overload: hasValue(list)"#),
    (r#"R.attr.v.hasValue()"#, r#""abc""#, r#"no such overload: hasValue(string)"#),
    (r#"R.attr.v.hasValue()"#, r#"true"#, r#"no such overload: hasValue(bool)"#),
    (r#"R.attr.v.value()"#, r#"[1,"a"]"#, r#"no such overload: value(list)"#),
    (r#"R.attr.v.value()"#, r#""abc""#, r#"no such overload: value(string)"#),
    (r#"R.attr.v.value()"#, r#"true"#, r#"no such overload: value(bool)"#),
    (r#"[?R.attr.v]"#, r#"[1,"a"]"#, r#"cannot initialize optional list element from non-optional value [number_value:1, string_value:"a"]"#),
    (r#"[?R.attr.v]"#, r#"[3,1,2]"#, r#"cannot initialize optional list element from non-optional value [number_value:3, number_value:1, number_value:2]"#),
    (r#"[?R.attr.v]"#, r#"["b","a"]"#, r#"cannot initialize optional list element from non-optional value [string_value:"b", string_value:"a"]"#),
    (r#"{?"a": R.attr.v}"#, r#"[1,"a"]"#, r#"cannot initialize optional entry 'a' from non-optional value [number_value:1, string_value:"a"]"#),
    (r#"{?"a": R.attr.v}"#, r#"[3,1,2]"#, r#"cannot initialize optional entry 'a' from non-optional value [number_value:3, number_value:1, number_value:2]"#),
    (r#"{?"a": R.attr.v}"#, r#"["b","a"]"#, r#"cannot initialize optional entry 'a' from non-optional value [string_value:"b", string_value:"a"]"#),
    (r#"R.attr.v.transformList(i, x, x, true)"#, r#"[1,"a"]"#, r#"no such overload"#),
    (r#"R.attr.v.transformList(i, x, x, true)"#, r#""abc""#, r#"unsupported comprehension range type: types.String"#),
    (r#"R.attr.v.transformList(i, x, x, true)"#, r#"true"#, r#"unsupported comprehension range type: types.Bool"#),
    (r#"R.attr.v.transformMapEntry(k, x, {"a": x})"#, r#"[1,"a"]"#, r#"insert failed: key a already exists"#),
    (r#"R.attr.v.transformMapEntry(k, x, {"a": x})"#, r#""abc""#, r#"unsupported comprehension range type: types.String"#),
    (r#"R.attr.v.transformMapEntry(k, x, {"a": x})"#, r#"true"#, r#"unsupported comprehension range type: types.Bool"#),
    (r#"regex.extractAll(R.attr.v, "(a)(b)")"#, r#"[1,"a"]"#, r#"no such overload: regex.extractAll(list, string)"#),
    (r#"regex.extractAll(R.attr.v, "(a)(b)")"#, r#""abc""#, r#"regular expression has more than one capturing group: "(a)(b)""#),
    (r#"regex.extractAll(R.attr.v, "(a)(b)")"#, r#"true"#, r#"no such overload: regex.extractAll(bool, string)"#),
    (r#"R.attr.v.startsWith(R.attr.v)"#, r#"[1,"a"]"#, r#"no such overload"#),
    (r#"base64.encode(bytes(R.attr.v))"#, r#"[1,"a"]"#, r#"no such overload: bytes(list)"#),
    (r#"base64.encode(bytes(R.attr.v))"#, r#"true"#, r#"no such overload: bytes(bool)"#),
    (r#"base64.encode(bytes(R.attr.v))"#, r#"3"#, r#"no such overload: bytes(double)"#),
    (r#"optional.ofNonZeroValue(R.attr.v).value()"#, r#"[]"#, r#"optional.none() dereference"#),
    (r#"R.attr.v.distinct().size()"#, r#""abc""#, r#"no such overload: distinct(string)"#),
    (r#"R.attr.v.distinct().size()"#, r#"true"#, r#"no such overload: distinct(bool)"#),
    (r#"R.attr.v.distinct().size()"#, r#"3"#, r#"no such overload: distinct(double)"#),
    (r#"sets.equivalent([1], R.attr.v)"#, r#""abc""#, r#"no such overload: sets.equivalent(list, string)"#),
    (r#"sets.equivalent([1], R.attr.v)"#, r#"true"#, r#"no such overload: sets.equivalent(list, bool)"#),
    (r#"sets.equivalent([1], R.attr.v)"#, r#"3"#, r#"no such overload: sets.equivalent(list, double)"#),
    (r#"R.attr.v.isSubset(R.attr.v)"#, r#""abc""#, r#"no such overload: isSubset(string, string)"#),
    (r#"R.attr.v.isSubset(R.attr.v)"#, r#"true"#, r#"no such overload: isSubset(bool, bool)"#),
    (r#"R.attr.v.isSubset(R.attr.v)"#, r#"3"#, r#"no such overload: isSubset(double, double)"#),
    (r#"R.attr.v.intersect(R.attr.v)"#, r#""abc""#, r#"no such overload: intersect(string, string)"#),
    (r#"R.attr.v.intersect(R.attr.v)"#, r#"true"#, r#"no such overload: intersect(bool, bool)"#),
    (r#"R.attr.v.intersect(R.attr.v)"#, r#"3"#, r#"no such overload: intersect(double, double)"#),
    (r#"R.attr.v.except(R.attr.v)"#, r#""abc""#, r#"no such overload: except(string, string)"#),
    (r#"R.attr.v.except(R.attr.v)"#, r#"true"#, r#"no such overload: except(bool, bool)"#),
    (r#"R.attr.v.except(R.attr.v)"#, r#"3"#, r#"no such overload: except(double, double)"#),
    (r#"R.attr.v.hasIntersection(R.attr.v)"#, r#""abc""#, r#"no such overload: hasIntersection(string, string)"#),
    (r#"R.attr.v.hasIntersection(R.attr.v)"#, r#"true"#, r#"no such overload: hasIntersection(bool, bool)"#),
    (r#"R.attr.v.hasIntersection(R.attr.v)"#, r#"3"#, r#"no such overload: hasIntersection(double, double)"#),
    (r#"R.attr.v.exists_one(i, x, true)"#, r#""abc""#, r#"unsupported comprehension range type: types.String"#),
    (r#"R.attr.v.exists_one(i, x, true)"#, r#"true"#, r#"unsupported comprehension range type: types.Bool"#),
    (r#"R.attr.v.exists_one(i, x, true)"#, r#"3"#, r#"unsupported comprehension range type: types.Double"#),
    (r#"R.attr.v + R.attr.v"#, r#"true"#, r#"no such overload: _+_"#),
    (r#"size(R.attr.v) > 0"#, r#"true"#, r#"no such overload: size"#),
    (r#"cel.bind(x, R.attr.v, x.size())"#, r#"true"#, r#"no such overload: size"#),
    (r#"cidr(R.attr.v)"#, r#""10.0.0.1""#, r#"CIDR "10.0.0.1" parse error during conversion from string: netip.ParsePrefix("10.0.0.1"): no '/'"#),
    (r#"cidr(R.attr.v)"#, r#""::1""#, r#"CIDR "::1" parse error during conversion from string: netip.ParsePrefix("::1"): no '/'"#),
    (r#"cidr(R.attr.v)"#, r#""::ffff:1.2.3.4""#, r#"CIDR "::ffff:1.2.3.4" parse error during conversion from string: netip.ParsePrefix("::ffff:1.2.3.4"): no '/'"#),
    (r#"cidr(R.attr.v)"#, r#""::ffff:0102:0304""#, r#"CIDR "::ffff:0102:0304" parse error during conversion from string: netip.ParsePrefix("::ffff:0102:0304"): no '/'"#),
    (r#"cidr(R.attr.v)"#, r#""fe80::1%eth0""#, r#"CIDR "fe80::1%eth0" parse error during conversion from string: netip.ParsePrefix("fe80::1%eth0"): no '/'"#),
    (r#"cidr(R.attr.v)"#, r#""fe80::1%""#, r#"CIDR "fe80::1%" parse error during conversion from string: netip.ParsePrefix("fe80::1%"): no '/'"#),
    (r#"cidr(R.attr.v)"#, r#""1.2.3.4%eth0""#, r#"CIDR "1.2.3.4%eth0" parse error during conversion from string: netip.ParsePrefix("1.2.3.4%eth0"): no '/'"#),
    (r#"cidr(R.attr.v)"#, r#""01.2.3.4""#, r#"CIDR "01.2.3.4" parse error during conversion from string: netip.ParsePrefix("01.2.3.4"): no '/'"#),
    (r#"cidr(R.attr.v).prefixLength()"#, r#""10.0.0.1""#, r#"CIDR "10.0.0.1" parse error during conversion from string: netip.ParsePrefix("10.0.0.1"): no '/'"#),
    (r#"cidr(R.attr.v).prefixLength()"#, r#""::1""#, r#"CIDR "::1" parse error during conversion from string: netip.ParsePrefix("::1"): no '/'"#),
    (r#"cidr(R.attr.v).prefixLength()"#, r#""::ffff:1.2.3.4""#, r#"CIDR "::ffff:1.2.3.4" parse error during conversion from string: netip.ParsePrefix("::ffff:1.2.3.4"): no '/'"#),
    (r#"cidr(R.attr.v).prefixLength()"#, r#""::ffff:0102:0304""#, r#"CIDR "::ffff:0102:0304" parse error during conversion from string: netip.ParsePrefix("::ffff:0102:0304"): no '/'"#),
    (r#"cidr(R.attr.v).prefixLength()"#, r#""fe80::1%eth0""#, r#"CIDR "fe80::1%eth0" parse error during conversion from string: netip.ParsePrefix("fe80::1%eth0"): no '/'"#),
    (r#"cidr(R.attr.v).prefixLength()"#, r#""fe80::1%""#, r#"CIDR "fe80::1%" parse error during conversion from string: netip.ParsePrefix("fe80::1%"): no '/'"#),
    (r#"cidr(R.attr.v).prefixLength()"#, r#""1.2.3.4%eth0""#, r#"CIDR "1.2.3.4%eth0" parse error during conversion from string: netip.ParsePrefix("1.2.3.4%eth0"): no '/'"#),
    (r#"cidr(R.attr.v).prefixLength()"#, r#""01.2.3.4""#, r#"CIDR "01.2.3.4" parse error during conversion from string: netip.ParsePrefix("01.2.3.4"): no '/'"#),
    (r#"cidr(R.attr.v).ip()"#, r#""10.0.0.1""#, r#"CIDR "10.0.0.1" parse error during conversion from string: netip.ParsePrefix("10.0.0.1"): no '/'"#),
    (r#"cidr(R.attr.v).ip()"#, r#""::1""#, r#"CIDR "::1" parse error during conversion from string: netip.ParsePrefix("::1"): no '/'"#),
    (r#"cidr(R.attr.v).ip()"#, r#""::ffff:1.2.3.4""#, r#"CIDR "::ffff:1.2.3.4" parse error during conversion from string: netip.ParsePrefix("::ffff:1.2.3.4"): no '/'"#),
    (r#"cidr(R.attr.v).ip()"#, r#""::ffff:0102:0304""#, r#"CIDR "::ffff:0102:0304" parse error during conversion from string: netip.ParsePrefix("::ffff:0102:0304"): no '/'"#),
    (r#"cidr(R.attr.v).ip()"#, r#""fe80::1%eth0""#, r#"CIDR "fe80::1%eth0" parse error during conversion from string: netip.ParsePrefix("fe80::1%eth0"): no '/'"#),
    (r#"cidr(R.attr.v).ip()"#, r#""fe80::1%""#, r#"CIDR "fe80::1%" parse error during conversion from string: netip.ParsePrefix("fe80::1%"): no '/'"#),
    (r#"cidr(R.attr.v).ip()"#, r#""1.2.3.4%eth0""#, r#"CIDR "1.2.3.4%eth0" parse error during conversion from string: netip.ParsePrefix("1.2.3.4%eth0"): no '/'"#),
    (r#"cidr(R.attr.v).ip()"#, r#""01.2.3.4""#, r#"CIDR "01.2.3.4" parse error during conversion from string: netip.ParsePrefix("01.2.3.4"): no '/'"#),
    (r#"cidr(R.attr.v).masked()"#, r#""10.0.0.1""#, r#"CIDR "10.0.0.1" parse error during conversion from string: netip.ParsePrefix("10.0.0.1"): no '/'"#),
    (r#"cidr(R.attr.v).masked()"#, r#""::1""#, r#"CIDR "::1" parse error during conversion from string: netip.ParsePrefix("::1"): no '/'"#),
    (r#"cidr(R.attr.v).masked()"#, r#""::ffff:1.2.3.4""#, r#"CIDR "::ffff:1.2.3.4" parse error during conversion from string: netip.ParsePrefix("::ffff:1.2.3.4"): no '/'"#),
    (r#"cidr(R.attr.v).masked()"#, r#""::ffff:0102:0304""#, r#"CIDR "::ffff:0102:0304" parse error during conversion from string: netip.ParsePrefix("::ffff:0102:0304"): no '/'"#),
    (r#"cidr(R.attr.v).masked()"#, r#""fe80::1%eth0""#, r#"CIDR "fe80::1%eth0" parse error during conversion from string: netip.ParsePrefix("fe80::1%eth0"): no '/'"#),
    (r#"cidr(R.attr.v).masked()"#, r#""fe80::1%""#, r#"CIDR "fe80::1%" parse error during conversion from string: netip.ParsePrefix("fe80::1%"): no '/'"#),
    (r#"cidr(R.attr.v).masked()"#, r#""1.2.3.4%eth0""#, r#"CIDR "1.2.3.4%eth0" parse error during conversion from string: netip.ParsePrefix("1.2.3.4%eth0"): no '/'"#),
    (r#"cidr(R.attr.v).masked()"#, r#""01.2.3.4""#, r#"CIDR "01.2.3.4" parse error during conversion from string: netip.ParsePrefix("01.2.3.4"): no '/'"#),
    (r#""10.0.0.1".inIPAddrRange(R.attr.v)"#, r#""10.0.0.1""#, r#"invalid CIDR address: 10.0.0.1"#),
    (r#""10.0.0.1".inIPAddrRange(R.attr.v)"#, r#""::1""#, r#"invalid CIDR address: ::1"#),
    (r#""10.0.0.1".inIPAddrRange(R.attr.v)"#, r#""::ffff:1.2.3.4""#, r#"invalid CIDR address: ::ffff:1.2.3.4"#),
    (r#""10.0.0.1".inIPAddrRange(R.attr.v)"#, r#""::ffff:0102:0304""#, r#"invalid CIDR address: ::ffff:0102:0304"#),
    (r#""10.0.0.1".inIPAddrRange(R.attr.v)"#, r#""fe80::1%eth0""#, r#"invalid CIDR address: fe80::1%eth0"#),
    (r#""10.0.0.1".inIPAddrRange(R.attr.v)"#, r#""fe80::1%""#, r#"invalid CIDR address: fe80::1%"#),
    (r#""10.0.0.1".inIPAddrRange(R.attr.v)"#, r#""1.2.3.4%eth0""#, r#"invalid CIDR address: 1.2.3.4%eth0"#),
    (r#""10.0.0.1".inIPAddrRange(R.attr.v)"#, r#""01.2.3.4""#, r#"invalid CIDR address: 01.2.3.4"#),
    (r#"ip(R.attr.v)"#, r#""::ffff:1.2.3.4""#, r#"IPv4-mapped IPv6 address "::ffff:1.2.3.4" is not allowed"#),
    (r#"ip(R.attr.v)"#, r#""::ffff:0102:0304""#, r#"IPv4-mapped IPv6 address "::ffff:0102:0304" is not allowed"#),
    (r#"ip(R.attr.v)"#, r#""fe80::1%eth0""#, r#"IP address "fe80::1%eth0" with zone value is not allowed"#),
    (r#"ip(R.attr.v)"#, r#""fe80::1%""#, r#"IP Address "fe80::1%" parse error during conversion from string: ParseAddr("fe80::1%"): zone must be a non-empty string"#),
    (r#"ip(R.attr.v)"#, r#""1.2.3.4%eth0""#, r#"IP Address "1.2.3.4%eth0" parse error during conversion from string: ParseAddr("1.2.3.4%eth0"): unexpected character (at "%eth0")"#),
    (r#"ip(R.attr.v)"#, r#""01.2.3.4""#, r#"IP Address "01.2.3.4" parse error during conversion from string: ParseAddr("01.2.3.4"): IPv4 field has octet with leading zero"#),
    (r#"ip(R.attr.v)"#, r#""1.2.3""#, r#"IP Address "1.2.3" parse error during conversion from string: ParseAddr("1.2.3"): IPv4 address too short"#),
    (r#"ip(R.attr.v)"#, r#""1.2.3.4.5""#, r#"IP Address "1.2.3.4.5" parse error during conversion from string: ParseAddr("1.2.3.4.5"): IPv4 address too long"#),
    (r#"ip.isCanonical(R.attr.v)"#, r#""::ffff:1.2.3.4""#, r#"IPv4-mapped IPv6 address "::ffff:1.2.3.4" is not allowed"#),
    (r#"ip.isCanonical(R.attr.v)"#, r#""::ffff:0102:0304""#, r#"IPv4-mapped IPv6 address "::ffff:0102:0304" is not allowed"#),
    (r#"ip.isCanonical(R.attr.v)"#, r#""fe80::1%eth0""#, r#"IP address "fe80::1%eth0" with zone value is not allowed"#),
    (r#"ip.isCanonical(R.attr.v)"#, r#""fe80::1%""#, r#"IP Address "fe80::1%" parse error during conversion from string: ParseAddr("fe80::1%"): zone must be a non-empty string"#),
    (r#"ip.isCanonical(R.attr.v)"#, r#""1.2.3.4%eth0""#, r#"IP Address "1.2.3.4%eth0" parse error during conversion from string: ParseAddr("1.2.3.4%eth0"): unexpected character (at "%eth0")"#),
    (r#"ip.isCanonical(R.attr.v)"#, r#""01.2.3.4""#, r#"IP Address "01.2.3.4" parse error during conversion from string: ParseAddr("01.2.3.4"): IPv4 field has octet with leading zero"#),
    (r#"ip.isCanonical(R.attr.v)"#, r#""1.2.3""#, r#"IP Address "1.2.3" parse error during conversion from string: ParseAddr("1.2.3"): IPv4 address too short"#),
    (r#"ip.isCanonical(R.attr.v)"#, r#""1.2.3.4.5""#, r#"IP Address "1.2.3.4.5" parse error during conversion from string: ParseAddr("1.2.3.4.5"): IPv4 address too long"#),
    (r#"ip(R.attr.v).family()"#, r#""::ffff:1.2.3.4""#, r#"IPv4-mapped IPv6 address "::ffff:1.2.3.4" is not allowed"#),
    (r#"ip(R.attr.v).family()"#, r#""::ffff:0102:0304""#, r#"IPv4-mapped IPv6 address "::ffff:0102:0304" is not allowed"#),
    (r#"ip(R.attr.v).family()"#, r#""fe80::1%eth0""#, r#"IP address "fe80::1%eth0" with zone value is not allowed"#),
    (r#"ip(R.attr.v).family()"#, r#""fe80::1%""#, r#"IP Address "fe80::1%" parse error during conversion from string: ParseAddr("fe80::1%"): zone must be a non-empty string"#),
    (r#"ip(R.attr.v).family()"#, r#""1.2.3.4%eth0""#, r#"IP Address "1.2.3.4%eth0" parse error during conversion from string: ParseAddr("1.2.3.4%eth0"): unexpected character (at "%eth0")"#),
    (r#"ip(R.attr.v).family()"#, r#""01.2.3.4""#, r#"IP Address "01.2.3.4" parse error during conversion from string: ParseAddr("01.2.3.4"): IPv4 field has octet with leading zero"#),
    (r#"ip(R.attr.v).family()"#, r#""1.2.3""#, r#"IP Address "1.2.3" parse error during conversion from string: ParseAddr("1.2.3"): IPv4 address too short"#),
    (r#"ip(R.attr.v).family()"#, r#""1.2.3.4.5""#, r#"IP Address "1.2.3.4.5" parse error during conversion from string: ParseAddr("1.2.3.4.5"): IPv4 address too long"#),
    (r#"cidr("::/0").containsIP(R.attr.v)"#, r#""::ffff:1.2.3.4""#, r#"IPv4-mapped IPv6 address "::ffff:1.2.3.4" is not allowed"#),
    (r#"cidr("::/0").containsIP(R.attr.v)"#, r#""::ffff:0102:0304""#, r#"IPv4-mapped IPv6 address "::ffff:0102:0304" is not allowed"#),
    (r#"cidr("::/0").containsIP(R.attr.v)"#, r#""fe80::1%eth0""#, r#"IP address "fe80::1%eth0" with zone value is not allowed"#),
    (r#"cidr("::/0").containsIP(R.attr.v)"#, r#""fe80::1%""#, r#"IP Address "fe80::1%" parse error during conversion from string: ParseAddr("fe80::1%"): zone must be a non-empty string"#),
    (r#"cidr("::/0").containsIP(R.attr.v)"#, r#""1.2.3.4%eth0""#, r#"IP Address "1.2.3.4%eth0" parse error during conversion from string: ParseAddr("1.2.3.4%eth0"): unexpected character (at "%eth0")"#),
    (r#"cidr("::/0").containsIP(R.attr.v)"#, r#""01.2.3.4""#, r#"IP Address "01.2.3.4" parse error during conversion from string: ParseAddr("01.2.3.4"): IPv4 field has octet with leading zero"#),
    (r#"cidr("::/0").containsIP(R.attr.v)"#, r#""1.2.3""#, r#"IP Address "1.2.3" parse error during conversion from string: ParseAddr("1.2.3"): IPv4 address too short"#),
    (r#"cidr("::/0").containsIP(R.attr.v)"#, r#""1.2.3.4.5""#, r#"IP Address "1.2.3.4.5" parse error during conversion from string: ParseAddr("1.2.3.4.5"): IPv4 address too long"#),
    (r#"R.attr.v.inIPAddrRange("10.0.0.0/8")"#, r#""fe80::1%eth0""#, r#"invalid IP address: fe80::1%eth0"#),
    (r#"R.attr.v.inIPAddrRange("10.0.0.0/8")"#, r#""fe80::1%""#, r#"invalid IP address: fe80::1%"#),
    (r#"R.attr.v.inIPAddrRange("10.0.0.0/8")"#, r#""1.2.3.4%eth0""#, r#"invalid IP address: 1.2.3.4%eth0"#),
    (r#"R.attr.v.inIPAddrRange("10.0.0.0/8")"#, r#""01.2.3.4""#, r#"invalid IP address: 01.2.3.4"#),
    (r#"R.attr.v.inIPAddrRange("10.0.0.0/8")"#, r#""1.2.3""#, r#"invalid IP address: 1.2.3"#),
    (r#"R.attr.v.inIPAddrRange("10.0.0.0/8")"#, r#""1.2.3.4.5""#, r#"invalid IP address: 1.2.3.4.5"#),
    (r#"R.attr.v.inIPAddrRange("10.0.0.0/8")"#, r#""256.1.1.1""#, r#"invalid IP address: 256.1.1.1"#),
    (r#"R.attr.v.inIPAddrRange("10.0.0.0/8")"#, r#""1..2.3""#, r#"invalid IP address: 1..2.3"#),
    (r#"base64.decode(R.attr.v)"#, r#""aGk==""#, r#"illegal base64 data at input byte 3"#),
    (r#"base64.decode(R.attr.v)"#, r#""a""#, r#"illegal base64 data at input byte 0"#),
    (r#"base64.decode(R.attr.v)"#, r#""ab=c""#, r#"illegal base64 data at input byte 2"#),
    (r#"base64.decode(R.attr.v)"#, r#""a=""#, r#"illegal base64 data at input byte 1"#),
];

/// The engine for one resource policy with a rule per condition: action
/// `a<i>` is allowed when condition `i` holds.
fn engine(conditions: &[&str]) -> Engine {
    let mut policy = String::from(
        "apiVersion: api.cerbos.dev/v1\nresourcePolicy:\n  version: default\n  resource: thing\n  rules:\n",
    );
    for (i, c) in conditions.iter().enumerate() {
        let quoted = serde_json::to_string(c).expect("quote");
        policy.push_str(&format!(
            "    - actions: [\"a{i}\"]\n      effect: EFFECT_ALLOW\n      roles: [\"*\"]\n      condition:\n        match:\n          expr: {quoted}\n"
        ));
    }
    build(
        "messages",
        &policy,
        EngineConfig {
            limits: RequestLimits {
                max_actions: conditions.len(),
                ..RequestLimits::default()
            },
            ..EngineConfig::default()
        },
    )
}

fn build(name: &str, policy: &str, config: EngineConfig) -> Engine {
    // Tests run in parallel and several build engines with the same name:
    // each build gets its own folder.
    static BUILDS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = BUILDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!(
        "portcullis-cel-errors-{name}-{}-{n}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("thing.yaml"), policy).expect("write policy");
    let compiled = compile_dir(Path::new(&dir), &CompileOptions::default());
    let _ = std::fs::remove_dir_all(&dir);
    let bundle = match compiled {
        Ok(c) => c.bundle,
        Err(e) => panic!("policy does not compile: {e:?}"),
    };
    Engine::new(bundle, config).expect("engine builds")
}

#[test]
fn runtime_errors_are_worded_as_cerbos_reports_them() {
    let mut conditions: Vec<&str> = Vec::new();
    for (c, _, _) in CASES {
        if !conditions.contains(c) {
            conditions.push(c);
        }
    }
    let engine = engine(&conditions);
    let actions: Vec<String> = (0..conditions.len()).map(|i| format!("a{i}")).collect();

    let mut by_value: BTreeMap<&str, Vec<(&str, &str)>> = BTreeMap::new();
    for (c, v, m) in CASES {
        by_value.entry(v).or_default().push((c, m));
    }
    let mut failures = Vec::new();
    for (value, cases) in by_value {
        let v: serde_json::Value = serde_json::from_str(value).expect("value JSON");
        let req: CheckResourcesRequest = serde_json::from_value(json!({
            "requestId": "r",
            "principal": {"id": "p", "roles": ["user"]},
            "resources": [{
                "actions": actions,
                "resource": {"kind": "thing", "id": "x", "attr": {"v": v}},
            }],
        }))
        .expect("request");
        let resp = engine.check_resources(&req, NOW).expect("check");
        // A failed condition denies its action.
        for (c, _) in &cases {
            let action = conditions
                .iter()
                .position(|x| x == c)
                .map(|i| format!("a{i}"));
            let effect = resp
                .results
                .first()
                .zip(action)
                .and_then(|(r, a)| r.actions.get(&a).copied());
            if effect != Some(Effect::Deny) {
                failures.push(format!("{c}  with v = {value}: {effect:?}"));
            }
        }
        let got: HashMap<&str, &str> = resp
            .evaluation_errors
            .iter()
            .map(|e| (&*e.cel_error.expression, e.cel_error.message.as_str()))
            .collect();
        for (c, want) in cases {
            match got.get(c) {
                Some(m) if m == &want => {}
                other => failures.push(format!(
                    "{c}  with v = {value}\n  want: {want}\n  got:  {other:?}"
                )),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from Cerbos:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

/// cel-go (with Cerbos's `OptOptimize`) converts constant arguments while
/// planning: a failing conversion keeps the program from being built, so
/// Cerbos never evaluates the expression and logs no evaluation error; the
/// condition fails (or errors out of `any`). Cerbos's constant folding first
/// prunes branches a literal short-circuits. Outputs report the conversion
/// error. Other constant errors (`1/0`) are ordinary evaluation errors.
/// Effects and errors as Cerbos 0.55 answers them.
#[test]
fn unplannable_conversions_fail_without_evaluation_errors() {
    const POLICY: &str = r#"apiVersion: api.cerbos.dev/v1
resourcePolicy:
  version: default
  resource: thing
  variables:
    local:
      bad: "int(dyn('x'))"
  rules:
    - actions: ["c0"]
      effect: EFFECT_ALLOW
      roles: ["*"]
      condition: {match: {expr: "int('x') == 1"}}
    - actions: ["c1"]
      effect: EFFECT_ALLOW
      roles: ["*"]
      condition: {match: {expr: "int('x') == 1 || true"}}
    - actions: ["c2"]
      effect: EFFECT_ALLOW
      roles: ["*"]
      condition: {match: {expr: "R.attr.x == 2 || int(dyn('x')) == 1"}}
    - actions: ["c3"]
      effect: EFFECT_ALLOW
      roles: ["*"]
      condition: {match: {expr: "uint(-1) == 1u || true"}}
    - actions: ["c4"]
      effect: EFFECT_ALLOW
      roles: ["*"]
      condition: {match: {expr: "int(R.attr.s) == 1 || true"}}
    - actions: ["c5"]
      effect: EFFECT_ALLOW
      roles: ["*"]
      condition: {match: {expr: "V.bad == 1 || true"}}
    - actions: ["a1"]
      effect: EFFECT_ALLOW
      roles: ["*"]
      condition:
        match:
          any:
            of:
              - expr: "R.attr.x == 3 || int(dyn('x')) == 1"
              - expr: "true"
    - actions: ["a2"]
      effect: EFFECT_ALLOW
      roles: ["*"]
      condition:
        match:
          any:
            of:
              - expr: "R.attr.x == 3 || int(R.attr.s) == 1"
              - expr: "R.attr.x == 2"
    - actions: ["e1"]
      effect: EFFECT_ALLOW
      roles: ["*"]
      condition: {match: {expr: "1/0 == 1"}}
    - actions: ["e2"]
      effect: EFFECT_ALLOW
      roles: ["*"]
      condition: {match: {expr: "dyn('a') < 1"}}
    - actions: ["o1"]
      effect: EFFECT_ALLOW
      roles: ["*"]
      output: {when: {ruleActivated: "int('x')"}}
    - actions: ["o2"]
      effect: EFFECT_ALLOW
      roles: ["*"]
      output: {when: {ruleActivated: "uint(-1)"}}
"#;
    let actions = [
        "c0", "c1", "c2", "c3", "c4", "c5", "a1", "a2", "e1", "e2", "o1", "o2",
    ];
    for strict in [false, true] {
        let engine = build(
            &format!("plan-{strict}"),
            POLICY,
            EngineConfig {
                strict_evaluation: strict,
                ..EngineConfig::default()
            },
        );
        let req: CheckResourcesRequest = serde_json::from_value(json!({
            "requestId": "r",
            "principal": {"id": "p", "roles": ["user"]},
            "resources": [{
                "actions": actions,
                "resource": {"kind": "thing", "id": "x", "attr": {"x": 2, "s": "y"}},
            }],
        }))
        .expect("request");
        let resp = engine.check_resources(&req, NOW).expect("check");
        let result = resp.results.first().expect("one result");
        let allowed: Vec<&str> = actions
            .iter()
            .copied()
            .filter(|a| result.actions.get(a) == Some(&Effect::Allow))
            .collect();
        let want_allowed: &[&str] = if strict {
            &["c1", "c3", "c4", "c5", "o1", "o2"]
        } else {
            &["c1", "c3", "c4", "c5", "a2", "o1", "o2"]
        };
        assert_eq!(allowed, want_allowed, "strict: {strict}");
        let errors: Vec<(&str, &str)> = resp
            .evaluation_errors
            .iter()
            .map(|e| (&*e.cel_error.expression, e.cel_error.message.as_str()))
            .collect();
        assert_eq!(
            errors,
            [
                ("1/0 == 1", "division by zero"),
                (
                    "R.attr.x == 3 || int(R.attr.s) == 1",
                    "type conversion error from 'string' to 'int'"
                ),
                ("dyn('a') < 1", "no such overload"),
            ],
            "strict: {strict}"
        );
        let outputs: Vec<(&str, &str)> = result
            .outputs
            .iter()
            .map(|o| (o.action.as_str(), o.error.as_str()))
            .collect();
        assert_eq!(
            outputs,
            [
                ("o1", "type conversion error from 'string' to 'int'"),
                ("o2", "unsigned integer overflow"),
            ],
            "strict: {strict}"
        );
    }
}

/// `sort()` over doubles with a NaN: the comparison is not a total order,
/// on which the standard library's sort may panic (this list made it panic
/// before `portcullis::sort`), and a panic traps the wasm instance. The
/// engine must answer, keeping every element.
#[test]
fn sorting_a_list_with_nan_neither_panics_nor_loses_elements() {
    let engine = engine(&["R.attr.v.map(x, double(x)).sort().size() == 21"]);
    let mut values: Vec<String> = (0..21).map(|i| ((i * 7919) % 23).to_string()).collect();
    values[3] = "NaN".into();
    let req: CheckResourcesRequest = serde_json::from_value(json!({
        "requestId": "r",
        "principal": {"id": "p", "roles": ["user"]},
        "resources": [{
            "actions": ["a0"],
            "resource": {"kind": "thing", "id": "x", "attr": {"v": values}},
        }],
    }))
    .expect("request");
    let resp = engine.check_resources(&req, NOW).expect("check");
    let effect = resp
        .results
        .first()
        .and_then(|r| r.actions.get("a0").copied());
    assert_eq!(effect, Some(Effect::Allow), "{:?}", resp.evaluation_errors);
}
