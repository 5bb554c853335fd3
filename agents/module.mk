# agents/ — the appliance experiment of paper 004: appliance, ispd, centerd,
# agents-keygen and the test relay.  Shared code is libagents.a so that unit
# tests and the fuzz target link the same objects.
agents_LIB := agents/msg.c agents/auth.c agents/keys.c agents/duty.c agents/wheel.c \
              agents/net.c agents/isp.c agents/appl.c
$(eval $(call archive,agents,$(agents_LIB)))
$(eval $(call program,appliance,agents/appliance.c,agents tb,$(CRYPTO_LIBS) -lpthread -lm))
$(eval $(call program,ispd,agents/ispd.c,agents tb,$(CRYPTO_LIBS) -lm))
$(eval $(call program,centerd,agents/centerd.c,agents tb,$(CRYPTO_LIBS) -lm))
$(eval $(call program,agents-keygen,agents/keygen.c,agents tb,$(CRYPTO_LIBS) -lm))
$(eval $(call program,agents-relay,agents/relay.c,agents tb,$(CRYPTO_LIBS) -lm))
$(eval $(call unittest,test_agent_msg,tests/unit/test_agent_msg.c,agents tb,$(CRYPTO_LIBS)))
$(eval $(call unittest,test_agent_auth,tests/unit/test_agent_auth.c,agents tb,$(CRYPTO_LIBS)))
$(eval $(call unittest,test_agent_duty,tests/unit/test_agent_duty.c,agents tb,$(CRYPTO_LIBS)))
$(eval $(call fuzzer,fuzz_agent_msg,tests/fuzz/fuzz_agent_msg.c,agents tb,$(CRYPTO_LIBS),tests/fuzz/fuzz_agent_msg_seeds))

# make bench-agents: appliances per process and per ISP server (agents/bench.sh)
.PHONY: bench-agents
bench-agents: $(BUILD)/bin/appliance $(BUILD)/bin/ispd $(BUILD)/bin/centerd $(BUILD)/bin/agents-keygen
	@BIN=$(BUILD)/bin agents/bench.sh
BENCH_TARGETS += bench-agents
$(eval $(call unittest,test_agent_isp,tests/unit/test_agent_isp.c,agents tb,$(CRYPTO_LIBS)))
