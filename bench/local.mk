# bench/local.mk - speed and memory against the official code (`make
# bench` runs every script of SC_BENCHES).
noinst_PROGRAMS += bench/bench_ops bench/bench_semantic bench/bench_decoder bench/bench_vocoder
# Op level, per backend.
bench_bench_ops_SOURCES = bench/bench_ops.c bench/benchutil.c bench/benchutil.h
bench_bench_ops_LDADD = libsc/libsc.la $(LIBM)
# AudioMAE and the codebook search per backend.
bench_bench_semantic_SOURCES = bench/bench_semantic.c bench/benchutil.c bench/benchutil.h
bench_bench_semantic_LDADD = libsc/libsc.la $(LIBM)
# One 10.24 s window at 50 / 25 / 10 steps: UNet and step times, GFLOP/s.
bench_bench_decoder_SOURCES = bench/bench_decoder.c bench/benchutil.c bench/benchutil.h
bench_bench_decoder_LDADD = libsc/libsc.la $(LIBM)
# VAE / HiFi-GAN seconds per window and GFLOP/s; end-to-end sc-detok time.
bench_bench_vocoder_SOURCES = bench/bench_vocoder.c bench/benchutil.c bench/benchutil.h
bench_bench_vocoder_LDADD = libsc/libsc.la $(LIBM)

SC_BENCHES += bench/synth.sh bench/ops.sh bench/sc-mel.sh bench/semantic.sh \
	bench/encode.sh bench/decoder.sh bench/vocoder.sh bench/realtime.sh
EXTRA_DIST += bench/ops.sh bench/sc-mel.sh bench/semantic.sh bench/encode.sh \
	bench/decoder.sh bench/vocoder.sh bench/synth.sh bench/realtime.sh bench/sampler-accuracy.sh
# Opt-in, an hour or more of two cores (the README's sampler accuracy table):
#   make tests/npycmp && make bench SC_BENCHES=bench/sampler-accuracy.sh
