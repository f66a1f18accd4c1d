# data/local.mk - the parity kit's manifests and fixed tensors, installed
# for sc_synth_default_dir() (SC_SYNTHDIR, set in Makefile.am; tests get
# $SC_SYNTH_DIR = this source copy).
synthdir = $(pkgdatadir)/synth
dist_synth_DATA = \
	data/synth/manifest-tr100-encoder.tsv data/synth/manifest-tr100-decoder.tsv \
	data/synth/manifest-tr50-encoder.tsv data/synth/manifest-tr50-decoder.tsv \
	data/synth/manifest-tr25-encoder.tsv data/synth/manifest-tr25-decoder.tsv \
	data/synth/semantic-codebooks.tsv data/synth/prng-check.tsv
synthfixeddir = $(synthdir)/weights-fixed
dist_synthfixed_DATA = \
	data/synth/weights-fixed/audiomae.decoder_pos_embed.npy \
	data/synth/weights-fixed/audiomae.pos_embed.npy \
	data/synth/weights-fixed/schedule.alphas_cumprod.npy \
	data/synth/weights-fixed/schedule.alphas_cumprod_prev.npy \
	data/synth/weights-fixed/schedule.betas.npy \
	data/synth/weights-fixed/schedule.log_one_minus_alphas_cumprod.npy \
	data/synth/weights-fixed/schedule.posterior_log_variance_clipped.npy \
	data/synth/weights-fixed/schedule.posterior_mean_coef1.npy \
	data/synth/weights-fixed/schedule.posterior_mean_coef2.npy \
	data/synth/weights-fixed/schedule.posterior_variance.npy \
	data/synth/weights-fixed/schedule.sqrt_alphas_cumprod.npy \
	data/synth/weights-fixed/schedule.sqrt_one_minus_alphas_cumprod.npy \
	data/synth/weights-fixed/schedule.sqrt_recip_alphas_cumprod.npy \
	data/synth/weights-fixed/schedule.sqrt_recipm1_alphas_cumprod.npy
