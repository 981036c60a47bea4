//! Type errors in calls of library functions (strings, lists, math, sets,
//! encoders, regex, network, hierarchy, SPIFFE, paths, time getters) and
//! literal `string.format` calls:
//! `portcullis compile` rejects exactly what `cerbos compile` rejects, with
//! Cerbos's message at the same place. Every row below is Cerbos 0.55's
//! answer (`cerbos repl`, which type-checks like `cerbos compile`).
#![cfg(feature = "compiler")]

use portcullis::compiler::{compile_sources, CompileKind, CompileOptions, DiagnosticKind};

/// Expressions Cerbos rejects: (expression, 1-based column of the error
/// inside the expression, message).
const REJECTED: &[(&str, u32, &str)] = &[
    // RE2 rejections of literal `matches` patterns (cel-go validates the
    // first argument, even of the global form).
    (r#""a".matches("a{1001}")"#, 13, "invalid matches argument"),
    (r#""a".matches("(?=a)")"#, 13, "invalid matches argument"),
    (r#""a".matches("\\1")"#, 13, "invalid matches argument"),
    (r#""a".matches("\\p{Grek}")"#, 13, "invalid matches argument"),
    (r#""a".matches("(?x)a")"#, 13, "invalid matches argument"),
    (r#""a".matches("[z-a]")"#, 13, "invalid matches argument"),
    (r#"matches("[", "a")"#, 9, "invalid matches argument"),
    (r#""abc".charAt("1")"#, 13, "found no matching overload for 'charAt' applied to 'string.(string)'"),
    (r#""abc".charAt(1u)"#, 13, "found no matching overload for 'charAt' applied to 'string.(uint)'"),
    ("1.charAt(1)", 9, "found no matching overload for 'charAt' applied to 'int.(int)'"),
    (r#""abc".indexOf(1)"#, 14, "found no matching overload for 'indexOf' applied to 'string.(int)'"),
    (r#""abc".indexOf("a", "1")"#, 14, "found no matching overload for 'indexOf' applied to 'string.(string, string)'"),
    (r#""abc".lastIndexOf(1)"#, 18, "found no matching overload for 'lastIndexOf' applied to 'string.(int)'"),
    (r#""abc".lowerAscii(1)"#, 17, "found no matching overload for 'lowerAscii' applied to 'string.(int)'"),
    ("1.lowerAscii()", 13, "found no matching overload for 'lowerAscii' applied to 'int.()'"),
    ("[1].upperAscii()", 15, "found no matching overload for 'upperAscii' applied to 'list(int).()'"),
    (r#""abc".replace(1, "x")"#, 14, "found no matching overload for 'replace' applied to 'string.(int, string)'"),
    (r#""abc".replace("a", "x", "1")"#, 14, "found no matching overload for 'replace' applied to 'string.(string, string, string)'"),
    (r#""abc".split(1)"#, 12, "found no matching overload for 'split' applied to 'string.(int)'"),
    (r#""abc".split(",", 1.0)"#, 12, "found no matching overload for 'split' applied to 'string.(string, double)'"),
    (r#""abc".substring("1")"#, 16, "found no matching overload for 'substring' applied to 'string.(string)'"),
    (r#""abc".substring(1, "2")"#, 16, "found no matching overload for 'substring' applied to 'string.(int, string)'"),
    ("1.trim()", 7, "found no matching overload for 'trim' applied to 'int.()'"),
    (r#"["a"].join(1)"#, 11, "found no matching overload for 'join' applied to 'list(string).(int)'"),
    ("[1, 2].join()", 12, "found no matching overload for 'join' applied to 'list(int).()'"),
    (r#"[1, 2].join(",")"#, 12, "found no matching overload for 'join' applied to 'list(int).(string)'"),
    (r#""abc".join()"#, 11, "found no matching overload for 'join' applied to 'string.()'"),
    ("strings.quote(1)", 14, "found no matching overload for 'strings.quote' applied to '(int)'"),
    (r#""abc".reverse(1)"#, 14, "found no matching overload for 'reverse' applied to 'string.(int)'"),
    ("1.reverse()", 10, "found no matching overload for 'reverse' applied to 'int.()'"),
    (r#""%s".format("a")"#, 12, "found no matching overload for 'format' applied to 'string.(string)'"),
    ("1.format([1])", 9, "found no matching overload for 'format' applied to 'int.(list(int))'"),
    (r#"[1,2].slice("0", 1)"#, 12, "found no matching overload for 'slice' applied to 'list(int).(string, int)'"),
    ("[1,2].slice(0, 1u)", 12, "found no matching overload for 'slice' applied to 'list(int).(int, uint)'"),
    (r#""ab".slice(0, 1)"#, 11, "found no matching overload for 'slice' applied to 'string.(int, int)'"),
    (r#"[1,[2]].flatten("1")"#, 16, "found no matching overload for 'flatten' applied to 'list(dyn).(string)'"),
    ("[1,[2]].flatten(1u)", 16, "found no matching overload for 'flatten' applied to 'list(dyn).(uint)'"),
    (r#""ab".flatten()"#, 13, "found no matching overload for 'flatten' applied to 'string.()'"),
    (r#""ab".distinct()"#, 14, "found no matching overload for 'distinct' applied to 'string.()'"),
    (r#""ab".sort()"#, 10, "found no matching overload for 'sort' applied to 'string.()'"),
    (r#"lists.range("3")"#, 12, "found no matching overload for 'lists.range' applied to '(string)'"),
    ("lists.range(3u)", 12, "found no matching overload for 'lists.range' applied to '(uint)'"),
    (r#""ab".first()"#, 11, "found no matching overload for 'first' applied to 'string.()'"),
    (r#""ab".last()"#, 10, "found no matching overload for 'last' applied to 'string.()'"),
    (r#"math.greatest("a")"#, 15, "math.greatest() invalid single argument value"),
    (r#"math.greatest(1, "a")"#, 18, "math.greatest() simple literal arguments must be numeric"),
    (r#"math.greatest([1, "a"])"#, 15, "math.greatest() invalid single argument value"),
    (r#"math.least("a", "b")"#, 12, "math.least() simple literal arguments must be numeric"),
    ("math.ceil(1)", 10, "found no matching overload for 'math.ceil' applied to '(int)'"),
    (r#"math.ceil("1")"#, 10, "found no matching overload for 'math.ceil' applied to '(string)'"),
    ("math.floor(1u)", 11, "found no matching overload for 'math.floor' applied to '(uint)'"),
    (r#"math.round("1.5")"#, 11, "found no matching overload for 'math.round' applied to '(string)'"),
    ("math.trunc(1)", 11, "found no matching overload for 'math.trunc' applied to '(int)'"),
    ("math.isInf(1)", 11, "found no matching overload for 'math.isInf' applied to '(int)'"),
    (r#"math.isNaN("x")"#, 11, "found no matching overload for 'math.isNaN' applied to '(string)'"),
    ("math.isFinite(1)", 14, "found no matching overload for 'math.isFinite' applied to '(int)'"),
    (r#"math.abs("1")"#, 9, "found no matching overload for 'math.abs' applied to '(string)'"),
    (r#"math.sign("1")"#, 10, "found no matching overload for 'math.sign' applied to '(string)'"),
    (r#"math.sqrt("4")"#, 10, "found no matching overload for 'math.sqrt' applied to '(string)'"),
    ("math.bitAnd(1, 1u)", 12, "found no matching overload for 'math.bitAnd' applied to '(int, uint)'"),
    ("math.bitAnd(1.0, 1.0)", 12, "found no matching overload for 'math.bitAnd' applied to '(double, double)'"),
    (r#"math.bitOr("1", 1)"#, 11, "found no matching overload for 'math.bitOr' applied to '(string, int)'"),
    ("math.bitXor(true, false)", 12, "found no matching overload for 'math.bitXor' applied to '(bool, bool)'"),
    ("math.bitNot(1.0)", 12, "found no matching overload for 'math.bitNot' applied to '(double)'"),
    ("math.bitShiftLeft(1, 1u)", 18, "found no matching overload for 'math.bitShiftLeft' applied to '(int, uint)'"),
    (r#"math.bitShiftRight(1, "1")"#, 19, "found no matching overload for 'math.bitShiftRight' applied to '(int, string)'"),
    ("sets.contains([1], 1)", 14, "found no matching overload for 'sets.contains' applied to '(list(int), int)'"),
    (r#"sets.contains("a", [1])"#, 14, "found no matching overload for 'sets.contains' applied to '(string, list(int))'"),
    ("sets.equivalent([1], 1)", 16, "found no matching overload for 'sets.equivalent' applied to '(list(int), int)'"),
    (r#"sets.intersects({"a": 1}, [1])"#, 16, "found no matching overload for 'sets.intersects' applied to '(map(string, int), list(int))'"),
    (r#"base64.encode("abc")"#, 14, "found no matching overload for 'base64.encode' applied to '(string)'"),
    ("base64.encode(1)", 14, "found no matching overload for 'base64.encode' applied to '(int)'"),
    (r#"base64.decode(b"abc")"#, 14, "found no matching overload for 'base64.decode' applied to '(bytes)'"),
    ("ip(1)", 3, "found no matching overload for 'ip' applied to '(int)'"),
    (r#"ip("127.0.0.1").family(1)"#, 23, "found no matching overload for 'family' applied to 'net.IP.(int)'"),
    ("cidr(1)", 5, "found no matching overload for 'cidr' applied to '(int)'"),
    ("isIP(1)", 5, "found no matching overload for 'isIP' applied to '(int)'"),
    (r#"isCIDR(b"x")"#, 7, "found no matching overload for 'isCIDR' applied to '(bytes)'"),
    ("ip.isCanonical(1)", 15, "found no matching overload for 'ip.isCanonical' applied to '(int)'"),
    (r#"ip("127.0.0.1").isLoopback(1)"#, 27, "found no matching overload for 'isLoopback' applied to 'net.IP.(int)'"),
    (r#""127.0.0.1".isLoopback()"#, 23, "found no matching overload for 'isLoopback' applied to 'string.()'"),
    (r#"cidr("10.0.0.0/8").containsIP(1)"#, 30, "found no matching overload for 'containsIP' applied to 'net.CIDR.(int)'"),
    (r#"cidr("10.0.0.0/8").containsCIDR(1)"#, 32, "found no matching overload for 'containsCIDR' applied to 'net.CIDR.(int)'"),
    (r#"cidr("10.0.0.0/8").masked(1)"#, 26, "found no matching overload for 'masked' applied to 'net.CIDR.(int)'"),
    (r#"cidr("10.0.0.0/8").prefixLength(1)"#, 32, "found no matching overload for 'prefixLength' applied to 'net.CIDR.(int)'"),
    (r#""10.0.0.0/8".prefixLength()"#, 26, "found no matching overload for 'prefixLength' applied to 'string.()'"),
    (r#""10.0.0.1".inIPAddrRange(1)"#, 25, "found no matching overload for 'inIPAddrRange' applied to 'string.(int)'"),
    (r#"1.inIPAddrRange("10.0.0.0/8")"#, 16, "found no matching overload for 'inIPAddrRange' applied to 'int.(string)'"),
    (r#"inIPAddrRange("10.0.0.1", "10.0.0.0/8")"#, 14, "found no matching overload for 'inIPAddrRange' applied to '(string, string)'"),
    ("[1].intersect(1)", 14, "found no matching overload for 'intersect' applied to 'list(int).(int)'"),
    (r#""ab".intersect([1])"#, 15, "found no matching overload for 'intersect' applied to 'string.(list(int))'"),
    (r#"[1].except("a")"#, 11, "found no matching overload for 'except' applied to 'list(int).(string)'"),
    ("[1].hasIntersection(1)", 20, "found no matching overload for 'hasIntersection' applied to 'list(int).(int)'"),
    (r#"[1].isSubset("a")"#, 13, "found no matching overload for 'isSubset' applied to 'list(int).(string)'"),
    ("hierarchy(1)", 10, "found no matching overload for 'hierarchy' applied to '(int)'"),
    (r#"hierarchy("a.b", 1)"#, 10, "found no matching overload for 'hierarchy' applied to '(string, int)'"),
    (r#"hierarchy("a.b").ancestorOf(1)"#, 28, "found no matching overload for 'ancestorOf' applied to 'cerbos.lib.hierarchy.(int)'"),
    (r#"hierarchy("a.b").ancestorOf("a.b.c")"#, 28, "found no matching overload for 'ancestorOf' applied to 'cerbos.lib.hierarchy.(string)'"),
    (r#"hierarchy("a.b").descendentOf(1)"#, 30, "found no matching overload for 'descendentOf' applied to 'cerbos.lib.hierarchy.(int)'"),
    (r#"hierarchy("a.b").immediateParentOf(1)"#, 35, "found no matching overload for 'immediateParentOf' applied to 'cerbos.lib.hierarchy.(int)'"),
    (r#"hierarchy("a.b").immediateChildOf(1)"#, 34, "found no matching overload for 'immediateChildOf' applied to 'cerbos.lib.hierarchy.(int)'"),
    (r#"hierarchy("a.b").siblingOf(1)"#, 27, "found no matching overload for 'siblingOf' applied to 'cerbos.lib.hierarchy.(int)'"),
    (r#"hierarchy("a.b").overlaps(1)"#, 26, "found no matching overload for 'overlaps' applied to 'cerbos.lib.hierarchy.(int)'"),
    (r#"hierarchy("a.b").commonAncestors(1)"#, 33, "found no matching overload for 'commonAncestors' applied to 'cerbos.lib.hierarchy.(int)'"),
    (r#"hierarchy("a.b")["0"]"#, 17, "found no matching overload for '_[_]' applied to '(cerbos.lib.hierarchy, string)'"),
    (r#""a.b".ancestorOf(hierarchy("a"))"#, 17, "found no matching overload for 'ancestorOf' applied to 'string.(cerbos.lib.hierarchy)'"),
    ("spiffeID(1)", 9, "found no matching overload for 'spiffeID' applied to '(int)'"),
    (r#"spiffeID("spiffe://a/b").path(1)"#, 30, "found no matching overload for 'path' applied to 'cerbos.lib.spiffeID.(int)'"),
    (r#"spiffeID("spiffe://a/b").trustDomain(1)"#, 37, "found no matching overload for 'trustDomain' applied to 'cerbos.lib.spiffeID.(int)'"),
    (r#"spiffeID("spiffe://a/b").isMemberOf(1)"#, 36, "found no matching overload for 'isMemberOf' applied to 'cerbos.lib.spiffeID.(int)'"),
    (r#"spiffeID("spiffe://a/b").isMemberOf("a")"#, 36, "found no matching overload for 'isMemberOf' applied to 'cerbos.lib.spiffeID.(string)'"),
    ("spiffeTrustDomain(1)", 18, "found no matching overload for 'spiffeTrustDomain' applied to '(int)'"),
    (r#"spiffeTrustDomain("a").name(1)"#, 28, "found no matching overload for 'name' applied to 'cerbos.lib.spiffeTrustDomain.(int)'"),
    ("spiffeMatchAny(1)", 15, "found no matching overload for 'spiffeMatchAny' applied to '(int)'"),
    ("spiffeMatchExact(1)", 17, "found no matching overload for 'spiffeMatchExact' applied to '(int)'"),
    ("spiffeMatchOneOf(1)", 17, "found no matching overload for 'spiffeMatchOneOf' applied to '(int)'"),
    (r#"spiffeMatchOneOf("spiffe://a/b")"#, 17, "found no matching overload for 'spiffeMatchOneOf' applied to '(string)'"),
    ("spiffeMatchTrustDomain(1)", 23, "found no matching overload for 'spiffeMatchTrustDomain' applied to '(int)'"),
    ("spiffeMatchAny().matchesID(1)", 27, "found no matching overload for 'matchesID' applied to 'cerbos.lib.spiffeMatcher.(int)'"),
    (r#""a".basePath()"#, 13, "found no matching overload for 'basePath' applied to 'string.()'"),
    ("basePath(1)", 9, "found no matching overload for 'basePath' applied to '(int)'"),
    ("dirPath(1)", 8, "found no matching overload for 'dirPath' applied to '(int)'"),
    ("extPath(1)", 8, "found no matching overload for 'extPath' applied to '(int)'"),
    ("volumeName(1)", 11, "found no matching overload for 'volumeName' applied to '(int)'"),
    ("joinPath(1)", 9, "found no matching overload for 'joinPath' applied to '(int)'"),
    (r#"joinPath("a")"#, 9, "found no matching overload for 'joinPath' applied to '(string)'"),
    (r#"relPath(1, "a")"#, 8, "found no matching overload for 'relPath' applied to '(int, string)'"),
    (r#"pathHasPrefix(1, "a")"#, 14, "found no matching overload for 'pathHasPrefix' applied to '(int, string)'"),
    (r#"pathMatch("a", 1)"#, 10, "found no matching overload for 'pathMatch' applied to '(string, int)'"),
    (r#"pathMatchAnyOf("a", "b")"#, 15, "found no matching overload for 'pathMatchAnyOf' applied to '(string, string)'"),
    (r#"timestamp("2021-01-01T00:00:00Z").getFullYear(1)"#, 46, "found no matching overload for 'getFullYear' applied to 'timestamp.(int)'"),
    (r#"timestamp("2021-01-01T00:00:00Z").getMonth(1)"#, 43, "found no matching overload for 'getMonth' applied to 'timestamp.(int)'"),
    (r#"timestamp("2021-01-01T00:00:00Z").getHours(1)"#, 43, "found no matching overload for 'getHours' applied to 'timestamp.(int)'"),
    (r#"duration("1s").getHours("UTC")"#, 24, "found no matching overload for 'getHours' applied to 'duration.(string)'"),
    (r#"duration("1s").getFullYear()"#, 27, "found no matching overload for 'getFullYear' applied to 'duration.()'"),
    ("1.getHours()", 11, "found no matching overload for 'getHours' applied to 'int.()'"),
    (r#""x".getHours()"#, 13, "found no matching overload for 'getHours' applied to 'string.()'"),
    ("timeSince(1)", 10, "found no matching overload for 'timeSince' applied to '(int)'"),
    (r#"timeSince("x")"#, 10, "found no matching overload for 'timeSince' applied to '(string)'"),
    ("now(1)", 4, "found no matching overload for 'now' applied to '(int)'"),
    (r#"timestamp("2021-01-01T00:00:00Z") - 1"#, 35, "found no matching overload for '_-_' applied to '(timestamp, int)'"),
    (r#""a".matches(1)"#, 12, "found no matching overload for 'matches' applied to 'string.(int)'"),
    (r#"matches("a", 1)"#, 8, "found no matching overload for 'matches' applied to '(string, int)'"),
    (r#"regex.replace("a", 1, "b")"#, 14, "found no matching overload for 'regex.replace' applied to '(string, int, string)'"),
    (r#"regex.replace("a", "a", 1)"#, 14, "found no matching overload for 'regex.replace' applied to '(string, string, int)'"),
    (r#"regex.replace("a", "a", "b", "1")"#, 14, "found no matching overload for 'regex.replace' applied to '(string, string, string, string)'"),
    (r#"regex.extract(1, "a")"#, 14, "found no matching overload for 'regex.extract' applied to '(int, string)'"),
    (r#"regex.extractAll("a", 1)"#, 17, "found no matching overload for 'regex.extractAll' applied to '(string, int)'"),
    (r#""a".contains(1)"#, 13, "found no matching overload for 'contains' applied to 'string.(int)'"),
    (r#""a".startsWith(1)"#, 15, "found no matching overload for 'startsWith' applied to 'string.(int)'"),
    ("size(1)", 5, "found no matching overload for 'size' applied to '(int)'"),
    (r#""a".size(1)"#, 9, "found no matching overload for 'size' applied to 'string.(int)'"),
    (r#"int("1", 2)"#, 4, "found no matching overload for 'int' applied to '(string, int)'"),
    (r#"string(b"a", 1)"#, 7, "found no matching overload for 'string' applied to '(bytes, int)'"),
    ("type(1, 2)", 5, "found no matching overload for 'type' applied to '(int, int)'"),
    ("dyn(1, 2)", 4, "found no matching overload for 'dyn' applied to '(int, int)'"),
    ("optional.of(1, 2)", 12, "found no matching overload for 'optional.of' applied to '(int, int)'"),
    ("optional.none(1)", 14, "found no matching overload for 'optional.none' applied to '(int)'"),
    ("optional.ofNonZeroValue()", 24, "found no matching overload for 'optional.ofNonZeroValue' applied to '()'"),
    ("[1].exists(x, 1)", 15, "expected type 'bool' but found 'int'"),
    (r#"[1].all(x, "a")"#, 12, "expected type 'bool' but found 'string'"),
    ("[1].map(x, x, 1)", 8, "found no matching overload for '_?_:_' applied to '(int, list(int), list(int))'"),
    ("[1].filter(x, 1)", 11, "found no matching overload for '_?_:_' applied to '(int, list(int), list(int))'"),
    ("[1].exists_one(x, 1)", 15, "found no matching overload for '_?_:_' applied to '(int, int, int)'"),
    (r#"cel.bind(x, 1, x + "a")"#, 18, "found no matching overload for '_+_' applied to '(int, string)'"),
    (r#"1 + "a""#, 3, "found no matching overload for '_+_' applied to '(int, string)'"),
    ("1 + 1u", 3, "found no matching overload for '_+_' applied to '(int, uint)'"),
    (r#"1 == "a""#, 3, "found no matching overload for '_==_' applied to '(int, string)'"),
    (r#"1 < "a""#, 3, "found no matching overload for '_<_' applied to '(int, string)'"),
    (r#""a" in 1"#, 5, "found no matching overload for '@in' applied to '(string, int)'"),
    ("!1", 1, "found no matching overload for '!_' applied to '(int)'"),
    (r#"-"a""#, 1, "found no matching overload for '-_' applied to '(string)'"),
    (r#"true ? 1 : "a""#, 6, "found no matching overload for '_?_:_' applied to '(bool, int, string)'"),
    ("1 ? 1 : 2", 3, "found no matching overload for '_?_:_' applied to '(int, int, int)'"),
    ("[1][1u]", 4, "found no matching overload for '_[_]' applied to '(list(int), uint)'"),
    (r#"[1]["a"]"#, 4, "found no matching overload for '_[_]' applied to '(list(int), string)'"),
    (r#"{"a": 1}[1]"#, 9, "found no matching overload for '_[_]' applied to '(map(string, int), int)'"),
    (r#""a"[0]"#, 4, "found no matching overload for '_[_]' applied to '(string, int)'"),
    (r#"R.attr.x.charAt("1")"#, 16, "found no matching overload for 'charAt' applied to 'dyn.(string)'"),
    (r#"P.id.charAt("1")"#, 12, "found no matching overload for 'charAt' applied to 'string.(string)'"),
    ("P.roles.join(1)", 13, "found no matching overload for 'join' applied to 'list(string).(int)'"),
    ("R.id + 1", 6, "found no matching overload for '_+_' applied to '(string, int)'"),
    ("[1][1.0]", 4, "found no matching overload for '_[_]' applied to '(list(int), double)'"),
    ("{1: 2}[1u]", 7, "found no matching overload for '_[_]' applied to '(map(int, int), uint)'"),
    ("{1: 2}[1.0]", 7, "found no matching overload for '_[_]' applied to '(map(int, int), double)'"),
    ("spiffeMatchOneOf([1])", 17, "found no matching overload for 'spiffeMatchOneOf' applied to '(list(int))'"),
    (r#"spiffeID("spiffe://a/b").id()"#, 28, "found no matching overload for 'id' applied to 'cerbos.lib.spiffeID.()'"),
    (r#"hierarchy("a.b", ":", 1)"#, 10, "found no matching overload for 'hierarchy' applied to '(string, string, int)'"),
    (r#"hierarchy(hierarchy("a"))"#, 10, "found no matching overload for 'hierarchy' applied to '(cerbos.lib.hierarchy)'"),
    (r#"hierarchy("a.b")[0u]"#, 17, "found no matching overload for '_[_]' applied to '(cerbos.lib.hierarchy, uint)'"),
    (r#"ip(ip("1.2.3.4"))"#, 3, "found no matching overload for 'ip' applied to '(net.IP)'"),
    (r#"string(hierarchy("a"))"#, 7, "found no matching overload for 'string' applied to '(cerbos.lib.hierarchy)'"),
    (r#"ip("1.2.3.4") == "1.2.3.4""#, 15, "found no matching overload for '_==_' applied to '(net.IP, string)'"),
    (r#"ip("1.2.3.4") < ip("1.2.3.5")"#, 15, "found no matching overload for '_<_' applied to '(net.IP, net.IP)'"),
    (r#"hierarchy("a") == "a""#, 16, "found no matching overload for '_==_' applied to '(cerbos.lib.hierarchy, string)'"),
    (r#"sets.contains([1], ["a"])"#, 14, "found no matching overload for 'sets.contains' applied to '(list(int), list(string))'"),
    ("sets.contains([1], [1.0])", 14, "found no matching overload for 'sets.contains' applied to '(list(int), list(double))'"),
    ("sets.equivalent([1], [1u])", 16, "found no matching overload for 'sets.equivalent' applied to '(list(int), list(uint))'"),
    ("math.bitShiftRight(1u, 1u)", 19, "found no matching overload for 'math.bitShiftRight' applied to '(uint, uint)'"),
    ("[[1]].sort()", 11, "found no matching overload for 'sort' applied to 'list(list(int)).()'"),
    (r#"[ip("1.2.3.4")].sort()"#, 21, "found no matching overload for 'sort' applied to 'list(net.IP).()'"),
    (r#""%s".format([1, "a"])"#, 12, "too many arguments supplied to string.format (expected 1, got 2)"),
    ("joinPath([1])", 9, "found no matching overload for 'joinPath' applied to '(list(int))'"),
    ("timestamp(1u)", 10, "found no matching overload for 'timestamp' applied to '(uint)'"),
    ("duration(1)", 9, "found no matching overload for 'duration' applied to '(int)'"),
    (r#""a".matches(b"a")"#, 12, "found no matching overload for 'matches' applied to 'string.(bytes)'"),
    (r#""%s".format("a", 1)"#, 12, "found no matching overload for 'format' applied to 'string.(string, int)'"),
    ("P.attr.x.matches(1)", 17, "found no matching overload for 'matches' applied to 'dyn.(int)'"),
    ("[1].all(x, 1)", 12, "expected type 'bool' but found 'int'"),
    ("1.0.getHours()", 13, "found no matching overload for 'getHours' applied to 'double.()'"),
    (r#""a" in hierarchy("a.b")"#, 5, "found no matching overload for '@in' applied to '(string, cerbos.lib.hierarchy)'"),
    (r#"size(hierarchy("a.b"))"#, 5, "found no matching overload for 'size' applied to '(cerbos.lib.hierarchy)'"),
    (r#"true ? ip("1.2.3.4") : "x""#, 6, "found no matching overload for '_?_:_' applied to '(bool, net.IP, string)'"),
    (r#"[ip("1.2.3.4")] + [cidr("1.2.3.4/8")]"#, 17, "found no matching overload for '_+_' applied to '(list(net.IP), list(net.CIDR))'"),
    (r#""%s %s".format(["a"])"#, 15, "index 1 out of range"),
    (r#""%d".format(["a"])"#, 14, "error during formatting: decimal clause can only be used on ints, uints, and doubles, was given string"),
    (r#""%.f".format([1.5])"#, 13, r#"could not parse formatting clause: error while parsing precision: error while converting precision to integer: strconv.Atoi: parsing "": invalid syntax"#),
    (r#""%.".format([1.5])"#, 12, "could not parse formatting clause: error while parsing precision: could not find end of precision specifier"),
    (r#""%q".format([1])"#, 12, r#"could not parse formatting clause: unrecognized formatting clause "q""#),
    (r#""%".format([1])"#, 11, "unexpected end of string"),
    (r#""%%".format([1])"#, 12, "too many arguments supplied to string.format (expected 0, got 1)"),
    (r#""%s".format([ip("1.2.3.4")])"#, 16, "error during formatting: string clause can only be used on strings, bools, bytes, ints, doubles, maps, lists, types, durations, and timestamps, was given net.IP"),
    (r#""%s".format([[ip("1.2.3.4")]])"#, 17, "error during formatting: string clause can only be used on strings, bools, bytes, ints, doubles, maps, lists, types, durations, and timestamps, was given net.IP"),
    (r#""%s".format([{"a": ip("1.2.3.4")}])"#, 22, "error during formatting: string clause can only be used on strings, bools, bytes, ints, doubles, maps, lists, types, durations, and timestamps, was given net.IP"),
    (r#""%x".format([1.0])"#, 14, "error during formatting: only ints, uints, bytes, and strings can be formatted as hex, was given double"),
    (r#""%o".format([1.0])"#, 14, "error during formatting: octal clause can only be used on ints and uints, was given double"),
    (r#""%b".format(["a"])"#, 14, "error during formatting: only ints, uints, and bools can be formatted as binary, was given string"),
    (r#""%e".format(["a"])"#, 14, "error during formatting: scientific clause can only be used on ints, uints, and doubles, was given string"),
    (r#""%f".format([true])"#, 14, "error during formatting: fixed-point clause can only be used on ints, uints, and doubles, was given bool"),
    (r#""%s".format([duration("1s"), timestamp("2021-01-01T00:00:00Z")])"#, 12, "too many arguments supplied to string.format (expected 1, got 2)"),
    (r#""%s %s".format([1, 2], 3)"#, 15, "found no matching overload for 'format' applied to 'string.(list(int), int)'"),
    (r#""%d".format([[1]])"#, 14, "error during formatting: decimal clause can only be used on ints, uints, and doubles, was given list"),
];

/// Expressions Cerbos compiles (some fail at run time, which is not a
/// compile error).
const ACCEPTED: &[&str] = &[
    r#"matches("a", "[")"#,
    r#""a".matches("(?P<1a>a)(?P<1a>b)")"#,
    r#""a".matches("\\p{greek}")"#,
    r#""a".matches("\\pL{2,1000}")"#,
    r#"regex.extract("a", "(")"#,
    "[1].reverse()",
    r#""%s".format(["a"])"#,
    "[1].sortBy(x, x)",
    "math.sqrt(4)",
    "math.bitShiftLeft(1u, 1)",
    "json.encode(1)",
    r#"cidr("10.0.0.0/8").containsIP("10.0.0.1")"#,
    r#"hierarchy("a.b", ":")"#,
    r#"hierarchy(["a", "b"])"#,
    r#"hierarchy("a.b").size()"#,
    r#"hierarchy("a.b")[0]"#,
    r#"spiffeMatchExact("spiffe://a/b")"#,
    r#"spiffeMatchOneOf(["spiffe://a/b"])"#,
    r#"spiffeMatchTrustDomain("a")"#,
    r#"spiffeMatchAny().matchesID("spiffe://a/b")"#,
    r#"joinPath(["a"])"#,
    r#"pathMatchAnyOf("a", ["b"])"#,
    "id(1)",
    r#"id("a")"#,
    r#"duration("1s").getMilliseconds()"#,
    r#"{"a": 1}.transformMap(k, v, v)"#,
    "[1].transformList(i, v, v)",
    r#""abc".reverse()"#,
    r#"spiffeMatchExact(spiffeID("spiffe://a/b"))"#,
    r#"spiffeMatchTrustDomain(spiffeTrustDomain("a"))"#,
    r#"spiffeMatchOneOf([spiffeID("spiffe://a/b")])"#,
    r#"spiffeMatchAny().matchesID(spiffeID("spiffe://a/b"))"#,
    r#"spiffeID("spiffe://a/b").isMemberOf(spiffeTrustDomain("a"))"#,
    r#"spiffeID("spiffe://a/b").trustDomain().name()"#,
    r#"spiffeTrustDomain("a").id()"#,
    r#"hierarchy(["a", 1])"#,
    r#"hierarchy("a.b").ancestorOf(hierarchy("a.b.c"))"#,
    r#"cidr("10.0.0.0/8").containsIP(ip("10.0.0.1"))"#,
    r#"cidr("10.0.0.0/8").containsCIDR(cidr("10.0.0.0/9"))"#,
    r#"cidr("10.0.0.0/8").containsCIDR("10.0.0.0/9")"#,
    r#"cidr("10.0.0.0/8").ip()"#,
    r#"cidr("10.0.0.0/8").ip().family()"#,
    r#"string(ip("1.2.3.4"))"#,
    r#"string(cidr("1.2.3.4/8"))"#,
    r#"ip("1.2.3.4") == ip("1.2.3.4")"#,
    "sets.intersects([[1]], [[2]])",
    "math.sqrt(4u)",
    "math.abs(1u)",
    "math.abs(-1.0)",
    "math.sign(1u)",
    "math.bitNot(1u)",
    "math.bitOr(1u, 1u)",
    "lists.range(3)",
    "[1, 2].slice(0, 1)",
    "[[1]].flatten(1)",
    "[3,1].sort()",
    r#"["a"].distinct()"#,
    "[1].first()",
    r#""%d".format([1])"#,
    r#"strings.quote("a")"#,
    r#"base64.encode(b"a")"#,
    r#"base64.decode("YQ==")"#,
    r#"joinPath(["a", 1])"#,
    r#"relPath("a", "b")"#,
    r#"basePath("a")"#,
    "R.attr.a.charAt(R.attr.b)",
    r#"type(ip("1.2.3.4")) == type(ip("1.2.3.5"))"#,
    r#"dyn(ip("1.2.3.4")) == "x""#,
    r#"ip("1.2.3.4") in [ip("1.2.3.4")]"#,
    r#"hierarchy("a.b")[0] == "a""#,
    r#"true ? ip("1.2.3.4") : ip("1.2.3.5")"#,
    r#"{"a": ip("1.2.3.4")}.a.family()"#,
    r#"[hierarchy("a")].exists(h, h.ancestorOf(hierarchy("a.b")))"#,
    "hierarchy(P.attr.x).ancestorOf(R.attr.y)",
    r#"hierarchy("a").ancestorOf(R.attr.y)"#,
    "spiffeID(P.id).isMemberOf(spiffeTrustDomain(R.attr.td))",
    "math.greatest(1, 2.0)",
    r#""%s".format(R.attr.list)"#,
    r#""%d %f %e %b %x %X %o %s".format([1, 2.0, 3, true, "a", b"b", 7u, [1]])"#,
    r#""%.2f".format([1.5])"#,
    r#""%%".format([])"#,
    r#""%s".format([null])"#,
    r#""%d".format([R.attr.x])"#,
    r#""%s".format(R.attr.x)"#,
    r#""%s".format([type(1)])"#,
];

/// A policy whose only condition is `expr`, as a block scalar at line 12,
/// column 13.
fn policy(expr: &str) -> String {
    format!(
        "apiVersion: api.cerbos.dev/v1\nresourcePolicy:\n  resource: doc\n  version: default\n  rules:\n    - actions: [view]\n      roles: [user]\n      effect: EFFECT_ALLOW\n      condition:\n        match:\n          expr: |-\n            {expr}\n"
    )
}

fn compile(expr: &str) -> Result<(), Vec<(u32, u32, String)>> {
    compile_sources(
        vec![("p.yaml".into(), policy(expr))],
        &CompileOptions::default(),
    )
    .map(|_| ())
    .map_err(|f| {
        f.diagnostics
            .iter()
            .filter(|d| d.kind == DiagnosticKind::Compile(CompileKind::InvalidExpression))
            .map(|d| (d.line, d.column, d.message.clone()))
            .collect()
    })
}

#[test]
fn rejects_what_cerbos_rejects_where_cerbos_does() {
    let mut wrong = Vec::new();
    for &(expr, col, msg) in REJECTED {
        match compile(expr) {
            Ok(()) => wrong.push(format!("{expr}: accepted, Cerbos says {msg}")),
            Err(d) => {
                let hit = d
                    .iter()
                    .any(|(l, c, m)| *l == 12 && *c == 12 + col && m.contains(msg));
                if !hit {
                    wrong.push(format!("{expr}: got {d:?}, want 12:{} {msg}", 12 + col));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} differences:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn accepts_what_cerbos_accepts() {
    let wrong: Vec<String> = ACCEPTED
        .iter()
        .filter_map(|expr| compile(expr).err().map(|d| format!("{expr}: {d:?}")))
        .collect();
    assert!(
        wrong.is_empty(),
        "{} rejected:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// Every library function with one argument swapped for a value of another
/// type (`tests/data/cel_check/wrong_types.json`, Cerbos 0.55's answers).
#[test]
fn wrong_argument_types_like_cerbos() {
    let doc: serde_json::Value =
        serde_json::from_str(include_str!("data/cel_check/wrong_types.json")).expect("json");
    let mut wrong = Vec::new();
    let cases = doc["cases"].as_array().expect("cases");
    for c in cases {
        let expr = c["expr"].as_str().expect("expr");
        let got = compile(expr);
        match (c.get("error").and_then(|m| m.as_str()), got) {
            (None, Ok(())) => {}
            (None, Err(d)) => wrong.push(format!("{expr}: rejected {d:?}, Cerbos accepts")),
            (Some(msg), Ok(())) => wrong.push(format!("{expr}: accepted, Cerbos says {msg}")),
            (Some(msg), Err(d)) => {
                let col = c["column"].as_u64().expect("column") as u32;
                if !d
                    .iter()
                    .any(|(l, cc, m)| *l == 12 && *cc == 12 + col && m.contains(msg))
                {
                    wrong.push(format!("{expr}: got {d:?}, want 12:{} {msg}", 12 + col));
                }
            }
        }
    }
    assert!(cases.len() > 1000, "{} cases", cases.len());
    assert!(
        wrong.is_empty(),
        "{} differences:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
