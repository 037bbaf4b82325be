for (const m of process.argv.slice(2)) require(m);
setTimeout(()=>{const u=process.memoryUsage();console.log(process.argv.slice(2).join(' ')||'bare',(u.rss/1e6).toFixed(1),'heap',(u.heapUsed/1e6).toFixed(1),'ext',(u.external/1e6).toFixed(1))},300)
