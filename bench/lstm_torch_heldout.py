"""
Held-out bits per character of a PyTorch CPU char-LSTM on holmes, for comparing charlab's training with
PyTorch's at equal characters (issue 11's quality calibration). Not used by the tests.

The model and loop are bench/lstm_torch.py's: one-hot input -> nn.LSTM(V, H) -> nn.Linear(H, V), 32 streams
(char-rnn's loader), unroll 64, Adam 2e-3, clip_grad_norm_(5), cross-entropy averaged over the T*B
predictions; after N training characters the held-out 5 % tail is scored character by character from the
last stream's state, as charlab scores it.

usage: python3 bench/lstm_torch_heldout.py HIDDEN CHARS [CORPUS]       (seed 1, one thread)
       INIT=charlab python3 bench/lstm_torch_heldout.py ...            charlab's default initialisation:
         zero biases with forget-gate bias 1, output weights N(0, 0.01^2), output bias 0
Measured (2026-11-27, H 256, 1M chars): PyTorch's own initialisation 2.876 bpc, charlab's 3.144;
charlab itself 3.171, and 2.883 with --init pytorch.
"""
import sys, math, torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(1); torch.set_num_threads(1)
H=int(sys.argv[1]); N=int(float(sys.argv[2])); B=32; T=64
text=open(sys.argv[3] if len(sys.argv) > 3 else '../shared/corpora/holmes.txt',encoding='utf8').read()
syms=sorted(set(text)); V=len(syms); ix={c:i for i,c in enumerate(syms)}
ids=torch.tensor([ix[c] for c in text]); n=len(ids); trainEnd=n-int(round(n*0.05))
tr=ids[:trainEnd]; part=trainEnd//B; streams=tr[:part*B].view(B,part).t().contiguous()
lstm=nn.LSTM(V,H); out=nn.Linear(H,V)
import os
if os.environ.get("INIT")=="charlab":
    with torch.no_grad():
        lstm.bias_ih_l0.zero_(); lstm.bias_hh_l0.zero_(); lstm.bias_ih_l0[H:2*H]=1.0; out.weight.normal_(0,0.01); out.bias.zero_()
params=list(lstm.parameters())+list(out.parameters())
opt=torch.optim.Adam(params,lr=2e-3); hc=None; p=0; done=0
while done<N:
    if p+T+1>part: p,hc=0,None
    x,y=streams[p:p+T],streams[p+1:p+T+1]
    hs,hc=lstm(F.one_hot(x,V).float(),hc); loss=F.cross_entropy(out(hs).reshape(T*B,V),y.reshape(T*B))
    opt.zero_grad(); loss.backward(); torch.nn.utils.clip_grad_norm_(params,5.0); opt.step()
    hc=(hc[0].detach(),hc[1].detach()); p+=T; done+=T*B
with torch.no_grad():
    h=(hc[0][:,-1:].contiguous(),hc[1][:,-1:].contiguous())
    x=ids[trainEnd-1:n-1].view(-1,1); y=ids[trainEnd:n]
    hs,_=lstm(F.one_hot(x,V).float(),h); nll=F.cross_entropy(out(hs).reshape(-1,V),y,reduction='sum').item()
print(f"torch H{H} {done} chars: held-out {nll/len(y)/math.log(2):.4f} bpc")
