/* plugins/decoder/ldm.h - internals of the "ldm" decoder plugin (latent
 * diffusion T-UNet, DDIM sampler, conditioning).  Not installed. */
#ifndef SC_LDM_H
#define SC_LDM_H

#include <stddef.h>
#include <stdint.h>
#include "sc/stage_decoder.h"
#include "sc/stage_util.h"

/* ldm_math.c: the reference's float32 exp / sin / cos (see there). */
float ldm_expf(float x);
/* s[i] = sin(x[i]), c[i] = cos(x[i]) for n elements, grouped by 8 as the
 * reference's vector loop; s or c may be NULL. */
void ldm_sincos8(const float *x, int n, float *s, float *c);
/* Tables built with those: PE [rows, 192] (interleaved sin/cos) and the
 * timestep embedding [64] = [cos | sin] of t * exp(-ln(1e4) k / 32), t a
 * float32 label (DDIM's integer timesteps, DPM-Solver's fractional ones). */
void ldm_pe_table(int rows, float *pe);
void ldm_timestep_embedding(float t, float *emb);

#endif

/* ---- T-UNet (unet.c) ------------------------------------------------ */

typedef struct ldm_conv {
    const float *w, *b;
} ldm_conv;

typedef struct ldm_rb {             /* ResBlock (§7.2) */
    int cin, cout;
    const float *n1g, *n1b, *n2g, *n2b, *ew, *eb;
    ldm_conv c1, c2, skip;          /* skip.w == NULL: identity */
    int emb_off;                    /* its slice of the per-t projections */
} ldm_rb;

typedef struct ldm_st {             /* SpatialTransformer (§7.4) */
    int c, cross, slot;             /* slot: K/V cache index when cross */
    const float *ng, *nb, *l1g, *l1b, *l2g, *l2b, *l3g, *l3b;
    ldm_conv pin, pout;
    const float *qkv1, *o1w, *o1b;  /* qkv: [to_q; to_k; to_v] [3c, c] */
    const float *qkv2, *q2, *k2, *v2, *o2w, *o2b;   /* qkv2: self attn2 only */
    const float *f1w, *f1b, *f2w, *f2b;
} ldm_st;

enum { LDM_BLK_CONV, LDM_BLK_RB, LDM_BLK_DOWN, LDM_BLK_RBST, LDM_BLK_MID, LDM_BLK_OUT };

typedef struct ldm_block {
    int kind;
    ldm_conv conv;                  /* input conv, downsample or upsample conv */
    ldm_rb rb, rb2;                 /* rb2: the middle block's second ResBlock */
    int nst;
    ldm_st st[2];
    int up;                         /* output block ends with Upsample */
    int cin, cout, h, w;            /* channels in/out, resolution at its input */
} ldm_block;

#define LDM_NSLOTS 16               /* cross-attention transformers */
#define LDM_MAXRB 32

typedef struct ldm_unet {
    int W, Dc;                      /* context rows and width */
    const float *te0w, *te0b, *te2w, *te2b;
    ldm_block in[12], mid, out[12];
    const float *og, *ob;
    ldm_conv oconv;
    int nslots, slot_c[LDM_NSLOTS];
    size_t slot_off[LDM_NSLOTS];    /* K at off, V at off + W c, in floats */
    size_t kv_floats;               /* one context's K/V cache */
    int nrb, emb_total;
    const ldm_rb *rbs[LDM_MAXRB];
    float *owned[64];               /* host copies the stage made (fused QKV) */
    int nowned;
} ldm_unet;

/* Walks the UNet (sc/stage_util.h): in declare mode names every tensor it
 * reads, in load mode builds net (pointers stay NULL in declare mode).
 * Returns L->rc; call ldm_unet_free(net) afterwards in either case. */
int ldm_unet_build(sc_walk *L, ldm_unet *net);
void ldm_unet_free(ldm_unet *net);

/* A bump allocator over one backend buffer.  measure != 0: nothing runs,
 * only the peak is counted (ops are skipped). */
typedef struct ldm_run {
    const sc_backend_vt *be;
    void *bc;
    float *base;
    size_t cap, off, peak;          /* floats */
    int measure, rc;
} ldm_run;

/* Results of the context-free head, kept while the tails run. */
typedef struct ldm_head {
    const float *skip[4];
    const float *h4;                /* input_blocks.4 after its first transformer */
} ldm_head;

/* Per-timestep ResBlock projections emb_layers(SiLU(time_embed(temb(t)))),
 * into embv [emb_total]; tmp: 64 + 3 * 256 floats of backend memory. */
int ldm_unet_embed(ldm_run *r, const ldm_unet *net, float t, float *tmp, float *embv);
/* Cross-attention K/V of a context ctx [W, Dc] (backend) into kv. */
int ldm_unet_kv(ldm_run *r, const ldm_unet *net, const float *ctx, float *kv);
/* x [8, 256, 16] -> head (allocated from r). */
void ldm_unet_head(ldm_run *r, const ldm_unet *net, const float *x, const float *embv,
                   ldm_head *hd);
/* head + context K/V -> v [8, 256, 16] (out: backend buffer). */
void ldm_unet_tail(ldm_run *r, const ldm_unet *net, const ldm_head *hd, const float *embv,
                   const float *kv, float *out);
