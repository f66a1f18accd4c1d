# hardening.mk: filled in by the hardening area
