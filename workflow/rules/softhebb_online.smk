# SoftHebb first-epoch (online, batch 1) protocol: sh_fig4b, sh_fig4c, sh_fig4d.
