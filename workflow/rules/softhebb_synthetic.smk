# SoftHebb synthetic objects and the Fig. 1 example: sh_fig8a, sh_fig8b, sh_fig1.
