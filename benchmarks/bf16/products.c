// fp32 against bf16 products on the paper network's shapes, one thread: oneDNN's dnnl_sgemm, and
// a3c_gemm_bf16 (its inputs converted to bf16 in the call, as training does). Shapes: acting on 8
// environments, and PPO minibatches of 128 rows (convolutions as SpaceToDepthConvKernel runs them).
//   gcc -O2 -o /tmp/bf16-products benchmarks/bf16/products.c Sources/CKernels/gemm_bf16.c
//       -ISources/CKernels/include -ldnnl -lpthread && /tmp/bf16-products
#include <dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <stdint.h>
#include <string.h>
int a3c_gemm_bf16(int, int, long, long, long, float, const float *, long, const float *, long, float, float *, long);
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(){
  char line[256]; FILE*f=fopen("/proc/cpuinfo","r");
  int shown=0; while(shown<2&&f&&fgets(line,sizeof line,f)) if(!strncmp(line,"model name",10)||!strncmp(line,"cpu family",10)) { fputs(line,stdout); shown++; }
  if(f)fclose(f);
  struct {const char*name;int ta,tb;long m,n,k;} S[]={
   {"conv1 fwd acting", 0,1,3528,16,64},{"conv2 fwd acting",0,1,800,32,64},
   {"conv1 fwd mb128",0,1,56448,16,64},{"conv1 dW",1,0,16,64,1764},{"conv1 dX(none)",0,0,1764,64,16},
   {"conv2 fwd mb128",0,1,12800,32,64},{"conv2 dW",1,0,32,64,2000},{"conv2 dX",0,0,2000,64,32},
   {"fc fwd mb128",0,1,128,256,2592},{"fc dW",1,0,256,2592,128},{"fc dX",0,0,128,2592,256},
   {"fc fwd acting 8",0,1,8,256,2592},{"fc fwd 40",0,1,40,256,2592}};
  for(unsigned i=0;i<sizeof S/sizeof*S;i++){
    long m=S[i].m,n=S[i].n,k=S[i].k;
    float*a=malloc(sizeof(float)*m*k),*b=malloc(sizeof(float)*k*n),*c=malloc(sizeof(float)*m*n);
    for(long j=0;j<m*k;j++)a[j]=(j%7)*0.1f;
    for(long j=0;j<k*n;j++)b[j]=(j%5)*0.1f;
    long lda=S[i].ta?m:k, ldb=S[i].tb?k:n;
    double t[2];
    for(int p=0;p<2;p++){
      int reps=0; double s=now(), e;
      do{ if(p==0) dnnl_sgemm(S[i].ta?'T':'N',S[i].tb?'T':'N',m,n,k,1,a,lda,b,ldb,0,c,n);
          else a3c_gemm_bf16(S[i].ta,S[i].tb,m,n,k,1,a,lda,b,ldb,0,c,n);
          reps++; e=now()-s;}while(e<0.5);
      t[p]=e/reps*1e6;
    }
    printf("%-18s m=%6ld n=%5ld k=%5ld  fp32 %8.1f us (%5.1f GFLOP/s)  bf16 %8.1f us (%5.1f)  ratio %.2f\n",S[i].name,m,n,k,t[0],2.0*m*n*k/t[0]/1e3,t[1],2.0*m*n*k/t[1]/1e3,t[0]/t[1]);
    free(a);free(b);free(c);
  }
}
