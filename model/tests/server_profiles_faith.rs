//! Where the versions differ on issue 16's edge cases. Expected replies are the live servers'
//! own (Redis 6.0.16, 8.0.2 and Valkey 8.1.1 images), seen by redis-cli and by conformance runs.

mod common;
use common::*;
use model::{Profile, Reply};

#[test]
fn timeouts_beyond_range_are_out_of_range_in_8_0_and_valkey() {
    for p in [Profile::Redis80, Profile::Valkey81] {
        let mut r = on(p);
        r.expect(A, &["RPUSH", "q", "1"], int(1));
        for t in ["inf", "1e400", "9223372036854775807"] {
            r.expect(A, &["BLPOP", "q", t], err("ERR timeout is out of range"));
        }
        r.expect(A, &["BLPOP", "q", "-1"], err("ERR timeout is negative"));
    }
    let mut r = Redis::new();
    r.expect(A, &["RPUSH", "q", "1"], int(1));
    r.expect(A, &["BLPOP", "q", "inf"], err("ERR timeout is negative"));
}

#[test]
fn lrem_count_i64_min_is_refused_by_8_0_and_valkey() {
    let msg = "ERR value is out of range, value must between -9223372036854775807 and \
               9223372036854775807";
    for p in [Profile::Redis80, Profile::Valkey81] {
        let mut r = on(p);
        r.expect(A, &["LREM", "q", "-9223372036854775808", "1"], err(msg));
    }
    let mut r = Redis::new();
    r.expect(A, &["LREM", "q", "-9223372036854775808", "1"], int(0));
}

#[test]
fn redis_6_0_wraps_expire_overflow_around() {
    let mut r = on(Profile::Redis60);
    // Wrapped to a past time: OK, and the key is gone.
    r.expect(A, &["SET", "k", "v", "EX", "9223372036854775807"], ok());
    r.expect(A, &["EXISTS", "k"], int(0));
    r.expect(A, &["SETEX", "k", "9223372036854775807", "v"], ok());
    r.expect(A, &["EXISTS", "k"], int(0));
    // EXPIRE wraps too: the key goes.
    r.expect(A, &["SET", "k", "v"], ok());
    r.expect(A, &["EXPIRE", "k", "9223372036854775807"], int(1));
    r.expect(A, &["EXISTS", "k"], int(0));
    // PEXPIRE i64::MAX wraps to just above i64::MIN: past, the key goes (CI found the model
    // overflowing here in debug builds).
    r.expect(A, &["SET", "k", "v"], ok());
    r.expect(A, &["PEXPIRE", "k", "9223372036854775807"], int(1));
    r.expect(A, &["EXISTS", "k"], int(0));
}

#[test]
fn redis_6_0_deadline_wrapped_to_negative_is_unmodelled() {
    // 6.0.16 answers OK and lazy expiry keeps the key, but its active expiry deletes it at a
    // moment of its own and TTL overflows (measured: SET k2 1 PX i64::MAX, then TTL k2 is
    // 9223372036854776 and PTTL k2, a moment later, -2). The model refuses to guess.
    for (args, name) in [
        (&["SETEX", "k", "9223300000000000000", "1"][..], "SETEX"),
        (&["PSETEX", "k", "9223372036854775807", "1"][..], "PSETEX"),
        (&["SET", "k", "v", "PX", "9223372036854775807"][..], "SET"),
    ] {
        let mut r = on(Profile::Redis60);
        r.expect(A, &["SET", "k", "v"], ok());
        let want = format!(
            "{name} with an expire time past i64::MAX (Redis 6.0 stores it wrapped around)"
        );
        assert_eq!(
            r.send(A, args),
            model::Outcome::Unmodelled(want),
            "{args:?}"
        );
    }
    // 7.0 refuses such a time.
    let mut r = Redis::new();
    r.expect(
        A,
        &["SET", "k", "v", "EX", "9223372036854775"],
        Reply::err("ERR invalid expire time in 'set' command"),
    );
}

#[test]
fn pexpireat_i64_min_is_past_on_every_profile() {
    // Measured on 6.0.16 and 7.0.15: 1, and the key is gone.
    for p in [
        Profile::Redis60,
        Profile::Redis70,
        Profile::Redis80,
        Profile::Valkey81,
    ] {
        let mut r = on(p);
        r.expect(A, &["SET", "k", "v"], ok());
        r.expect(A, &["PEXPIREAT", "k", "-9223372036854775808"], int(1));
        r.expect(A, &["EXISTS", "k"], int(0));
    }
}
