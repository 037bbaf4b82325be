const fs=require('fs'); const init=require('sql.js');
(async()=>{
 const S=await init(); const bytes=fs.readFileSync(process.argv[2]);
 const db=new S.Database(bytes);
 const packed=`ifnull(kind, '') || char(1) || ifnull(status, '') || char(1) || ifnull(bytes_total, 0) || char(1) || ifnull(updated_at, 0) || char(1) || id || char(1) || ifnull(repo_key, '') || char(1) || ifnull(name_key, '')`;
 function col(q){const st=db.prepare(q);const out=[];while(st.step())out.push(st.get()[0]);st.free();return out;}
 const idx=db.exec("SELECT name,sql FROM sqlite_master WHERE type='index'"); console.log(JSON.stringify(idx[0]?.values.map(v=>v[0])));
 for (const mode of process.argv.slice(3)) {
   let t=performance.now();
   if(mode==='create'||mode==='cover'){db.run(mode==='create'?'CREATE INDEX IF NOT EXISTS entries_by_name ON entries(name_key, id)':'CREATE INDEX IF NOT EXISTS entries_cover ON entries(name_key, id, kind, status, bytes_total, updated_at, repo_key)');console.log('create ms',(performance.now()-t).toFixed(0));continue;}
   const rows= mode==='plain'?col(`SELECT ${packed} FROM entries`):col(`SELECT ${packed} FROM entries ORDER BY name_key, id`);
   const q=performance.now()-t; t=performance.now();
   const keys=rows.map(r=>{const i=r.lastIndexOf('\u0001');return r.slice(i+1)});
   const ix=keys.map((k,i)=>i); ix.sort((a,b)=>keys[a]<keys[b]?-1:keys[a]>keys[b]?1:0);
   console.log(mode,'query ms',q.toFixed(0),'sort ms',(performance.now()-t).toFixed(0),rows.length);
 }
 if (process.argv.includes('save')) fs.writeFileSync('/tmp/cat/withidx.sqlite', db.export());
})();
