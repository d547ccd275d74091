//! cjson as Redis 7.0 ships it: encode, decode, their errors, and Valkey's own key order. Every expected reply was copied from a real Redis
//! 7.0.15 (`redis-cli --no-raw eval "…" 0`), the version fields of other profiles from the
//! 6.0.16, 8.0.2 and Valkey 8.1.1 images; SHA1s are computed from the script text.

mod common;
use common::*;
use model::Profile;

#[test]
fn cjson_encode() {
    let mut r = Redis::new();
    for (script, want) in [
        ("return cjson.encode({})", "{}"),
        ("return cjson.encode({1,2,3})", "[1,2,3]"),
        ("return cjson.encode({a=1})", "{\"a\":1}"),
        ("return cjson.encode({[1]=1,[2]=2,[4]=4})", "[1,2,null,4]"),
        (
            "return cjson.encode({[10]=1})",
            "[null,null,null,null,null,null,null,null,null,1]",
        ),
        (
            "return cjson.encode({1,2,3,4,5,6,[12]=1})",
            "[1,2,3,4,5,6,null,null,null,null,null,1]",
        ),
        (
            "return cjson.encode({1,2,a=3})",
            "{\"1\":1,\"2\":2,\"a\":3}",
        ),
        ("return cjson.encode({[1.5]=1})", "{\"1.5\":1}"),
        ("return cjson.encode({[2]=1})", "[null,1]"),
        ("return cjson.encode({['1']=1})", "{\"1\":1}"),
        ("return cjson.encode({[-1]=1})", "{\"-1\":1}"),
        ("return cjson.encode({[0]=1})", "{\"0\":1}"),
        (
            "return cjson.encode({[2^53]=1})",
            "{\"9.007199254741e+15\":1}",
        ),
        ("return cjson.encode({[1e20]=1})", "{\"1e+20\":1}"),
        ("return cjson.encode(3.14159265358979)", "3.1415926535898"),
        ("return cjson.encode(1e20)", "1e+20"),
        ("return cjson.encode(0.1)", "0.1"),
        ("return cjson.encode(100000000000000)", "1e+14"),
        ("return cjson.encode(-0)", "-0"),
        (
            "return cjson.encode('a/b\"c\\\\d\\n\\r\\t\\b\\f\\1\\127\\31')",
            "\"a\\/b\\\"c\\\\d\\n\\r\\t\\b\\f\\u0001\\u007f\\u001f\"",
        ),
        ("return cjson.encode(nil)", "null"),
        ("return cjson.encode(true)", "true"),
        ("return cjson.encode(cjson.null)", "null"),
        ("return cjson.encode({x={y={}}})", "{\"x\":{\"y\":{}}}"),
        (
            "return cjson.encode({a={1,2}, b='x'})",
            "{\"a\":[1,2],\"b\":\"x\"}",
        ),
    ] {
        expect_eval(&mut r, script, bulk(want));
    }
    for (script, msg) in [
        (
            "return cjson.encode({[1]=1,[20]=2})",
            "Cannot serialise table: excessively sparse array",
        ),
        (
            "return cjson.encode({[11]=1})",
            "Cannot serialise table: excessively sparse array",
        ),
        (
            "return cjson.encode({[true]=1})",
            "Cannot serialise boolean: table key must be a number or string",
        ),
        (
            "return cjson.encode(1/0)",
            "Cannot serialise number: must not be NaN or Inf",
        ),
        (
            "return cjson.encode(0/0)",
            "Cannot serialise number: must not be NaN or Inf",
        ),
        (
            "return cjson.encode()",
            "bad argument #1 to 'encode' (expected 1 argument)",
        ),
        (
            "return cjson.encode(1,2)",
            "bad argument #1 to 'encode' (expected 1 argument)",
        ),
        (
            "return cjson.encode(function() end)",
            "Cannot serialise function: type not supported",
        ),
        (
            "return cjson.encode({f=function() end})",
            "Cannot serialise function: type not supported",
        ),
        (
            "local t = {} t.t = t return cjson.encode(t)",
            "Cannot serialise, excessive nesting (1001)",
        ),
    ] {
        expect_eval(
            &mut r,
            script,
            located(script, &format!("ERR user_script:1: {msg}"), 1),
        );
    }
}

#[test]
fn library_functions_return_one_value() {
    // Found by the conformance generator: a native returned a trailing nil, so
    // `cjson.decode(cjson.encode(…))` got two arguments. 7.0.15 gives 1 for each.
    let mut r = Redis::new();
    for script in [
        "return select('#', cjson.encode(1))",
        "return select('#', cjson.decode('1'))",
        "return select('#', bit.band(1))",
        "return select('#', redis.sha1hex('x'))",
    ] {
        expect_eval(&mut r, script, int(1));
    }
    expect_eval(
        &mut r,
        "return cjson.decode(cjson.encode({'k1', '0', {a = '0'}}))",
        arr(vec![bulk("k1"), bulk("0"), arr(vec![])]),
    );
}

#[test]
fn cjson_decode() {
    let mut r = Redis::new();
    for (script, want) in [
        (
            "return cjson.decode('[1,2,3]')",
            arr(vec![int(1), int(2), int(3)]),
        ),
        (
            "return cjson.decode('{\"a\":[1,{\"b\":2}]}').a[2].b",
            int(2),
        ),
        ("return cjson.decode('1.5')", int(1)),
        ("return tostring(cjson.decode('1e400'))", bulk("inf")),
        ("return type(cjson.decode('null'))", bulk("userdata")),
        (
            "return tostring(cjson.decode('null') == cjson.null)",
            bulk("true"),
        ),
        ("return tostring(cjson.null)", bulk("userdata: (nil)")),
        (
            "return cjson.decode('[1,null,3]')",
            arr(vec![int(1), nil(), int(3)]),
        ),
        ("return #cjson.decode('[1,null,3]')", int(3)),
        (
            "return cjson.decode('\"a\\\\u00e9\\\\/\\\\n\"')",
            bulk("a\u{e9}/\n"),
        ),
        ("return cjson.decode('0x10')", int(16)),
        ("return cjson.decode('01')", int(1)),
        ("return cjson.decode('  [ ] ')", arr(vec![])),
        ("return cjson.decode('{}')", arr(vec![])),
        ("return cjson.decode(5)", int(5)),
        (
            "return cjson.decode('\"\\\\ud83d\\\\ude00\"')",
            bulk("\u{1F600}"),
        ),
        ("return cjson.decode('nan')", int(i64::MIN)),
        ("return cjson.decode('inf')", int(i64::MIN)),
        ("return cjson.decode('1.')", int(1)),
        ("return cjson.decode('+1')", int(1)),
        ("return cjson.decode('true')", int(1)),
        ("return cjson.decode('false')", nil()),
        (
            "return cjson.decode('[[[[1]]]]')",
            arr(vec![arr(vec![arr(vec![arr(vec![int(1)])])])]),
        ),
    ] {
        expect_eval(&mut r, script, want);
    }
    for (script, msg) in [
        (
            "return cjson.decode('')",
            "Expected value but found T_END at character 1",
        ),
        (
            "return cjson.decode('[1,]')",
            "Expected value but found T_ARR_END at character 4",
        ),
        (
            "return cjson.decode('{\"a\" 1}')",
            "Expected colon but found T_NUMBER at character 6",
        ),
        (
            "return cjson.decode('{1:2}')",
            "Expected object key string but found T_NUMBER at character 2",
        ),
        (
            "return cjson.decode('[1 2]')",
            "Expected comma or array end but found T_NUMBER at character 4",
        ),
        (
            "return cjson.decode('{\"a\":1,}')",
            "Expected object key string but found T_OBJ_END at character 8",
        ),
        (
            "return cjson.decode('1 2')",
            "Expected the end but found T_NUMBER at character 3",
        ),
        (
            "return cjson.decode('tru')",
            "Expected value but found invalid token at character 1",
        ),
        (
            "return cjson.decode('\"abc')",
            "Expected value but found unexpected end of string at character 5",
        ),
        (
            "return cjson.decode('\"\\\\x\"')",
            "Expected value but found invalid escape code at character 2",
        ),
        (
            "return cjson.decode('\"\\\\u12\"')",
            "Expected value but found invalid unicode escape code at character 2",
        ),
        (
            "return cjson.decode('-')",
            "Expected value but found invalid number at character 1",
        ),
        (
            "return cjson.decode('.5')",
            "Expected value but found invalid token at character 1",
        ),
        (
            "return cjson.decode()",
            "bad argument #1 to 'decode' (expected 1 argument)",
        ),
        (
            "return cjson.decode({})",
            "bad argument #1 to 'decode' (string expected, got table)",
        ),
    ] {
        expect_eval(
            &mut r,
            script,
            located(script, &format!("ERR user_script:1: {msg}"), 1),
        );
    }
    // Under pcall, the message has no position (luaL_where of pcall, a C function).
    expect_eval(
        &mut r,
        "return {pcall(cjson.decode, '[')}",
        arr(vec![
            nil(),
            bulk("Expected value but found T_END at character 2"),
        ]),
    );
}

#[test]
fn valkey_orders_string_keys_its_own_way() {
    // Measured on the Valkey 8.1.1 image: `pairs` over {v=…, list=…, a=…, b=…, ccc=…} gives
    // "a ccc b v list" where Redis 7.0 and 8.0 give "a list ccc b v"; the model has Redis's
    // order, so encoding several string keys on Valkey is a refusal.
    let script = "return cjson.encode({v = false, list = {1}, a=1, b=2, ccc=3})";
    let mut r = Redis::new();
    expect_eval(
        &mut r,
        script,
        bulk("{\"a\":1,\"list\":[1],\"ccc\":3,\"b\":2,\"v\":false}"),
    );
    let mut v = on(Profile::Valkey81);
    expect_eval(
        &mut v,
        script,
        err("ERR model: unmodelled: cjson.encode of a table with several string keys (Valkey's key order)"),
    );
    expect_eval(
        &mut v,
        "return cjson.encode({1, 2, n = {v = 'x'}})",
        bulk("{\"1\":1,\"2\":2,\"n\":{\"v\":\"x\"}}"),
    );
}
