/* msg — the wire protocol of the appliance agents (docs/agents.md, "Wire
 * protocol"): one codec for every message between appliance, ispd and
 * centerd, over UDP (appliance <-> ISP) and TCP (ISP <-> center).
 *
 * Every message starts with the same 20-byte header, big-endian:
 *   magic u16 = 0x5442 ("TB"), version u8 = 1, type u8, flags u8,
 *   reserved u8[3] = 0, length u32 (whole message), device u32, seq u32.
 * The parser checks magic, version, reserved bytes, the length against the
 * bytes received and the exact body size of each type; it never reads
 * outside the buffer and never allocates.  Encoders write into a caller's
 * buffer and return the length, or 0 when it does not fit. */
#ifndef TB_AGENTS_MSG_H
#define TB_AGENTS_MSG_H

#include <stddef.h>
#include <stdint.h>

#define MSG_MAGIC    0x5442
#define MSG_VERSION  1
#define MSG_HDR_LEN  20
#define NONCE_LEN    16
#define KEY_LEN      16
#define AUTH_XOR_LEN 16
#define AUTH_HMAC_LEN 32
#define AUTH_MAX_LEN 32
/* A message larger than this is refused on the TCP stream (an ORDER of
 * 200,000 devices is 800 KB; this leaves room for 16 M devices). */
#define MSG_MAX_LEN  (64u << 20)

enum msg_type {
	MSG_REGISTER = 1,   /* appliance -> ISP: these devices are at my address */
	MSG_REG_ACK = 2,    /* ISP -> appliance */
	MSG_CHALLENGE = 3,  /* ISP -> appliance: Ni */
	MSG_RESPONSE = 4,   /* appliance -> ISP: Ni, Na, proof of appliance */
	MSG_PROOF = 5,      /* ISP -> appliance: Na, proof of ISP */
	MSG_DATA = 6,       /* appliance -> ISP: Ni, sensor reading */
	MSG_HELLO = 10,     /* ISP -> center: I am ISP n, I hold k keys */
	MSG_STATUS = 11,    /* ISP -> center: registered appliances */
	MSG_ORDER = 12,     /* center -> ISP: collect these devices in round seq */
	MSG_RESULT = 13,    /* ISP -> center: per-device outcomes */
	MSG_ROUND_END = 14, /* ISP -> center: round done, counters */
};

/* flags */
#define MSG_F_HMAC 0x01     /* auth fields are HMAC-SHA256 (32 bytes), else XOR (16) */
#define MSG_F_ALL  0x01

/* Outcome of one device in one round (RESULT records, results.csv). */
enum dev_status {
	ST_OK = 0,          /* reading retrieved */
	ST_NO_ANSWER = 1,   /* never answered a challenge in the window */
	ST_AUTH = 2,        /* answered, but authentication failed */
	ST_LOST = 3,        /* answered, but the exchange did not finish in the window */
	ST_UNKNOWN = 4,     /* the ISP holds no key for the device */
	ST_PENDING = 5,     /* internal: not decided yet (never on the wire) */
};
#define ST_WIRE_MAX ST_UNKNOWN
const char *dev_status_name(int st);

/* Counters an ISP reports at the end of a round (ROUND_END), in this order. */
enum isp_counter {
	IC_SENT, IC_RECEIVED, IC_MALFORMED, IC_AUTH_FAILED, IC_REPLAYED,
	IC_UNKNOWN_DEVICE, IC_DUPLICATE, IC_SEND_ERRORS, IC_N
};
extern const char *const isp_counter_names[IC_N];

struct result_rec {
	uint32_t device;
	uint8_t status;
	uint8_t attempts;
	int32_t reading;       /* milli-units */
	uint32_t latency_us;   /* order received -> reading retrieved */
};
#define RESULT_REC_LEN 16

struct msg {
	uint8_t type, flags;
	uint32_t length, device, seq;
	const uint8_t *ni, *na, *auth;  /* into the buffer; NULL if absent */
	unsigned auth_len;
	int32_t reading;
	uint32_t count;                 /* REGISTER, ORDER, RESULT, REG_ACK, HELLO, STATUS */
	const uint8_t *items;           /* u32 ids (REGISTER, ORDER) or records (RESULT) */
	uint64_t window_ns;             /* ORDER */
	uint64_t counters[IC_N];        /* ROUND_END */
};

/* 0, or -EBADMSG (garbage, wrong sizes), -EPROTONOSUPPORT (other version),
 * -EMSGSIZE (length field larger than the bytes given). */
int msg_parse(const void *buf, size_t len, struct msg *m) __attribute__((warn_unused_result));
/* For a stream: from the first MSG_HDR_LEN bytes, the whole message length,
 * or a negative errno if the header is not ours. */
int64_t msg_peek_length(const void *buf, size_t len);

/* The i-th u32 id of a REGISTER/ORDER, the i-th record of a RESULT. */
uint32_t msg_id_at(const struct msg *m, uint32_t i);
void msg_rec_at(const struct msg *m, uint32_t i, struct result_rec *r);

/* Encoders: bytes written, 0 if cap is too small. */
size_t msg_put_register(uint8_t *b, size_t cap, uint32_t seq, const uint32_t *ids, uint32_t n);
size_t msg_put_reg_ack(uint8_t *b, size_t cap, uint32_t seq, uint32_t n);
size_t msg_put_challenge(uint8_t *b, size_t cap, uint8_t flags, uint32_t dev, uint32_t seq,
			 const uint8_t ni[NONCE_LEN]);
size_t msg_put_response(uint8_t *b, size_t cap, uint8_t flags, uint32_t dev, uint32_t seq,
			const uint8_t ni[NONCE_LEN], const uint8_t na[NONCE_LEN],
			const uint8_t *auth);
size_t msg_put_proof(uint8_t *b, size_t cap, uint8_t flags, uint32_t dev, uint32_t seq,
		     const uint8_t na[NONCE_LEN], const uint8_t *auth);
size_t msg_put_data(uint8_t *b, size_t cap, uint8_t flags, uint32_t dev, uint32_t seq,
		    const uint8_t ni[NONCE_LEN], int32_t reading);
size_t msg_put_hello(uint8_t *b, size_t cap, uint32_t isp, uint32_t nkeys);
size_t msg_put_status(uint8_t *b, size_t cap, uint32_t isp, uint32_t registered);
/* ORDER with n ids; the length grows with n, so the caller sizes b with msg_order_len. */
size_t msg_order_len(uint32_t n);
size_t msg_put_order(uint8_t *b, size_t cap, uint32_t round, uint64_t window_ns,
		     const uint32_t *ids, uint32_t n);
size_t msg_result_len(uint32_t n);
size_t msg_put_result(uint8_t *b, size_t cap, uint32_t isp, uint32_t round,
		      const struct result_rec *recs, uint32_t n);
size_t msg_put_round_end(uint8_t *b, size_t cap, uint32_t isp, uint32_t round,
			 const uint64_t counters[IC_N]);

static inline unsigned auth_len_of(uint8_t flags)
{
	return (flags & MSG_F_HMAC) ? AUTH_HMAC_LEN : AUTH_XOR_LEN;
}

#endif
