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
