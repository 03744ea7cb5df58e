// Reference Monte Carlo of engines.md §1–2 written independently of the C engine
// (preset inputs, seed "valor", 2000 trials). Run: node svc-runs/tests/mc_reference.js
function mulberry32(a){return function(){a|=0;a=a+0x6D2B79F5|0;let t=Math.imul(a^a>>>15,1|a);t=t+Math.imul(t^t>>>7,61|t)^t;return((t^t>>>14)>>>0)/4294967296}}
function h(s){let x=0xDEADBEEF;for(const c of Buffer.from(s)){x=Math.imul(x^c,2654435761)>>>0}return x>>>0}
function dcf(p){const N=p.years;const s1=Math.min(N,Math.max(1,p.stage1End)),s2=Math.min(N,Math.max(s1+1,p.stage2End));
 let g=p.termGrowth; if(g>=p.wacc) g=Math.max(0,p.wacc-0.005);
 let rp=p.revenue, np=p.revenue*p.s1NWC, sum=0, f=0;
 for(let t=1;t<=N;t++){const st=t<=s1?1:t<=s2?2:3; const gt=Math.max(0,p['s'+st+'Growth']); const r=rp*(1+gt);
  const m=Math.max(0,p['s'+st+'Margin']); const nopat=r*m*(1-p.taxRate); const nwc=r*Math.max(0,p['s'+st+'NWC']);
  const capex=Math.max(0,(r-rp)/Math.max(0.01,p['s'+st+'S2C'])); f=nopat-capex-(nwc-np); sum+=f/Math.pow(1+p.wacc,t); rp=r; np=nwc;}
 const tv=f*(1+g)/(p.wacc-g); const ev=sum+tv/Math.pow(1+p.wacc,N); return (ev-p.netDebt)/p.shares;}
const base={revenue:500,years:7,termGrowth:0.025,taxRate:0.23,wacc:0.09,shares:150,netDebt:300,stage1End:3,stage2End:6,
 s1Growth:.12,s2Growth:.08,s3Growth:.04,s1Margin:.2,s2Margin:.22,s3Margin:.24,s1S2C:2.5,s2S2C:3,s3S2C:3.5,s1NWC:.05,s2NWC:.04,s3NWC:.035};
console.log(dcf(base));
const rnd=mulberry32(h("valor")); function randn(){let u=0,v=0;while(u===0)u=rnd();while(v===0)v=rnd();return Math.sqrt(-2*Math.log(u))*Math.cos(2*Math.PI*v)}
const rho=0.3,sg=0.02,sm=0.02,sc=0.05; const out=[];
for(let k=0;k<2000;k++){const z1=randn(),z2=randn();const uG=z1,uM=rho*z1+Math.sqrt(1-rho*rho)*z2;const p={...base};
 p.s1Growth=Math.max(0,base.s1Growth+uG*sg);p.s2Growth=Math.max(0,base.s2Growth+randn()*sg);p.s3Growth=Math.max(0,base.s3Growth+randn()*sg);
 p.s1Margin=Math.max(0,base.s1Margin+uM*sm);p.s2Margin=Math.max(0,base.s2Margin+randn()*sm);p.s3Margin=Math.max(0,base.s3Margin+randn()*sm);
 p.s1S2C=Math.max(0.1,base.s1S2C*(1+sc*randn()));p.s2S2C=Math.max(0.1,base.s2S2C*(1+sc*randn()));p.s3S2C=Math.max(0.1,base.s3S2C*(1+sc*randn()));
 out.push(dcf(p));}
out.sort((a,b)=>a-b); const n=out.length; const mean=out.reduce((a,b)=>a+b,0)/n;
console.log(JSON.stringify({mean,median:out[Math.floor(n/2)],p5:out[Math.floor(.05*n)],p95:out[Math.floor(.95*n)],min:out[0],max:out[n-1]}));
