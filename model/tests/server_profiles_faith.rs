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
    // Wrapped to a negative time: the key stays, its PTTL clamps at 0.
    r.expect(A, &["SETEX", "k", "9223300000000000000", "1"], ok());
    r.expect(A, &["EXISTS", "k"], int(1));
    r.expect(A, &["PTTL", "k"], int(0));
    r.expect(A, &["SET", "k", "v", "PX", "9223372036854775807"], ok());
    r.expect(A, &["EXISTS", "k"], int(1));
    // EXPIRE wraps too: the key goes.
    r.expect(A, &["EXPIRE", "k", "9223372036854775807"], int(1));
    r.expect(A, &["EXISTS", "k"], int(0));
    // PEXPIRE i64::MAX wraps to just above i64::MIN: past, the key goes (CI found the model
    // overflowing here in debug builds).
    r.expect(A, &["SET", "k", "v"], ok());
    r.expect(A, &["PEXPIRE", "k", "9223372036854775807"], int(1));
    r.expect(A, &["EXISTS", "k"], int(0));
}

#[test]
fn redis_6_0_expiry_cycle_deletes_a_wrapped_negative_deadline() {
    // Measured on 6.0.16: reads keep the key (GET v, PTTL wrapped), and 300 ms later the
    // active expiry cycle has deleted it (`now > when` for a negative `when`).
    let mut r = on(Profile::Redis60);
    r.expect(A, &["SET", "k", "v", "EX", "9223372036854775"], ok());
    r.expect(A, &["GET", "k"], Reply::bulk("v"));
    let advanced = r.server.advance(200);
    assert_eq!(advanced.expired, vec!["k".to_string()]);
    r.at(200).expect(A, &["GET", "k"], Reply::Nil);
    // 7.0 refuses that time.
    let mut r = Redis::new();
    r.expect(
        A,
        &["SET", "k", "v", "EX", "9223372036854775"],
        Reply::err("ERR invalid expire time in 'set' command"),
    );
}
